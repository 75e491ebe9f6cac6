using System.Security.Cryptography;

namespace HealthMedallion.Generator.Generation;

/// <summary>
/// One landing file being written: under <c>&lt;name&gt;.tmp</c> in its final folder, hashed as it is written,
/// flushed to disk and only then renamed to its final <c>.csv</c> name, so that no reader ever sees half a file.
/// </summary>
internal sealed class LandingFile : IDisposable
{
    private const int BufferSize = 1 << 20;

    private readonly FileStream _stream;
    private readonly IncrementalHash _sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _buffer = new byte[BufferSize];
    private int _used;
    private bool _completed;

    public LandingFile(string finalPath)
    {
        FinalPath = finalPath;
        TempPath = finalPath + ".tmp";
        _stream = new FileStream(TempPath, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0);
    }

    public string FinalPath { get; }

    public string TempPath { get; }

    public long Size { get; private set; }

    public void Write(ReadOnlySpan<byte> bytes)
    {
        while (bytes.Length > 0)
        {
            var n = Math.Min(bytes.Length, BufferSize - _used);
            bytes[..n].CopyTo(_buffer.AsSpan(_used));
            _used += n;
            bytes = bytes[n..];
            if (_used == BufferSize)
            {
                Flush();
            }
        }
    }

    /// <summary>Makes the file durable and visible under its final name; returns its lowercase hex SHA-256.</summary>
    public string Complete()
    {
        var sha256 = EndWriting();
        Publish();
        return sha256;
    }

    /// <summary>Writes what is buffered; returns the lowercase hex SHA-256 of the whole file.</summary>
    public string EndWriting()
    {
        Flush();
        return Convert.ToHexStringLower(_sha256.GetHashAndReset());
    }

    /// <summary>
    /// Flushes the file to disk, then renames it to its final name (a crash never leaves a final name on a file
    /// whose bytes are not all on disk). The slow part: callers may run it beside further writing.
    /// </summary>
    public void Publish()
    {
        _stream.Flush(flushToDisk: true);
        _stream.Dispose();
        File.Move(TempPath, FinalPath, overwrite: false);
        _completed = true;
    }

    public void Dispose()
    {
        _stream.Dispose();
        _sha256.Dispose();
        if (!_completed)
        {
            File.Delete(TempPath);
        }
    }

    private void Flush()
    {
        if (_used == 0)
        {
            return;
        }

        _sha256.AppendData(_buffer, 0, _used);
        _stream.Write(_buffer, 0, _used);
        Size += _used;
        _used = 0;
    }
}
