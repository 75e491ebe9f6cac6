using System.Security.Cryptography;

namespace HealthMedallion.Ingestion.Landing;

/// <summary>One version of a landed file: its identity is path + size + SHA-256 (the modification time is lineage).</summary>
public sealed record LandedFile(string Path, string Entity, long SizeBytes, DateTime ModifiedUtc, string Sha256)
{
    public string FileName => System.IO.Path.GetFileName(Path);

    /// <summary>Reads the file once to fingerprint it; its size is what was hashed, so a file still growing is caught later.</summary>
    public static async Task<LandedFile> FingerprintAsync(string path, string entity, CancellationToken cancellationToken)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        var modified = ModificationTime(fullPath);
        await using var stream = new FileStream(fullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.Asynchronous | FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        long size = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            sha.AppendData(buffer, 0, read);
            size += read;
        }

        return new LandedFile(fullPath, entity, size, modified, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }

    /// <summary>The last write time to the microsecond, as Postgres keeps it (so a scan can compare it with what is recorded).</summary>
    public static DateTime ModificationTime(string path)
    {
        var ticks = File.GetLastWriteTimeUtc(path).Ticks;
        return new DateTime(ticks - (ticks % 10), DateTimeKind.Utc);
    }

    /// <summary>True when <paramref name="path"/> is a landed CSV file to take: <c>*.csv</c>, not hidden, not a temporary name.</summary>
    public static bool IsCandidate(string path)
    {
        var name = System.IO.Path.GetFileName(path);
        return name.Length > 4
            && !name.StartsWith('.')
            && name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase);
    }
}
