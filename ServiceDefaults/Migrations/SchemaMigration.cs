using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace HealthMedallion.ServiceDefaults.Migrations;

/// <summary>One schema change: a numbered SQL file such as <c>Schema/001_bronze.sql</c>.</summary>
public sealed partial record SchemaMigration
{
    public SchemaMigration(string fileName, string sql)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(fileName);
        ArgumentNullException.ThrowIfNull(sql);

        var match = FileNamePattern().Match(fileName);
        if (!match.Success)
        {
            throw new ArgumentException(
                $"Schema migration file '{fileName}' is not named NNN_description.sql (e.g. 001_bronze.sql).", nameof(fileName));
        }

        Version = int.Parse(match.Groups["version"].Value, NumberStyles.None, CultureInfo.InvariantCulture);
        FileName = fileName;
        Sql = sql;
        Checksum = ComputeChecksum(sql);
    }

    /// <summary>The number the file name starts with; files are applied in ascending order.</summary>
    public int Version { get; }

    public string FileName { get; }

    public string Sql { get; }

    /// <summary>Lower-case hex SHA-256 of the text with line endings normalised to LF (a checkout's line endings are no change).</summary>
    public string Checksum { get; }

    /// <summary>
    /// The embedded resources of <paramref name="assembly"/> that are <c>.sql</c> files in a folder named
    /// <paramref name="folder"/> (e.g. <c>&lt;EmbeddedResource Include="Schema/*.sql" /&gt;</c>), in version order.
    /// </summary>
    public static IReadOnlyList<SchemaMigration> FromAssembly(Assembly assembly, string folder = "Schema")
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);

        var marker = "." + folder.Replace('/', '.').Replace('\\', '.').Trim('.') + ".";
        var migrations = new List<SchemaMigration>();
        foreach (var resourceName in assembly.GetManifestResourceNames())
        {
            var markerAt = resourceName.LastIndexOf(marker, StringComparison.Ordinal);
            if (markerAt < 0 || !resourceName.EndsWith(".sql", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(resourceName)
                ?? throw new InvalidOperationException($"Embedded resource '{resourceName}' cannot be read.");
            using var reader = new StreamReader(stream, Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            migrations.Add(new SchemaMigration(resourceName[(markerAt + marker.Length)..], reader.ReadToEnd()));
        }

        if (migrations.Count == 0)
        {
            throw new InvalidOperationException(
                $"Assembly {assembly.GetName().Name} embeds no {folder}/*.sql files: add <EmbeddedResource Include=\"{folder}/*.sql\" /> to its project.");
        }

        return InOrder(migrations);
    }

    /// <summary>Sorts by version (numerically) and rejects two files with the same version.</summary>
    public static IReadOnlyList<SchemaMigration> InOrder(IEnumerable<SchemaMigration> migrations)
    {
        ArgumentNullException.ThrowIfNull(migrations);

        var ordered = migrations.OrderBy(migration => migration.Version).ToList();
        for (var i = 1; i < ordered.Count; i++)
        {
            if (ordered[i].Version == ordered[i - 1].Version)
            {
                throw new InvalidOperationException(
                    $"Schema migrations {ordered[i - 1].FileName} and {ordered[i].FileName} have the same version {ordered[i].Version}.");
            }
        }

        return ordered;
    }

    private static string ComputeChecksum(string sql)
    {
        var normalised = sql.Replace("\r\n", "\n", StringComparison.Ordinal).TrimStart('\uFEFF');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalised)));
    }

    [GeneratedRegex(@"^(?<version>[0-9]{1,9})_[A-Za-z0-9_.\-]+\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex FileNamePattern();
}
