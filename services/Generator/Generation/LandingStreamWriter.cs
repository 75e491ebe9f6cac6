using System.Globalization;

namespace HealthMedallion.Generator.Generation;

/// <summary>
/// Writes one stream's rows, chunk after chunk in order, into numbered parts of at most
/// <see cref="GenerationOptions.PartRows"/> rows; decides each part's file-level defects; turns the chunk's row
/// labels into (file, row number) labels.
/// </summary>
internal sealed class LandingStreamWriter(
    StreamSpec spec, GenerationOptions options, string landingRoot, string stamp, int sourceIndex, int sourceCount,
    TruthWriter truth, Func<GeneratedFile, ValueTask> completed, List<Task> pending) : IDisposable
{
    private LandingFile? _file;
    private int _partIndex = -1;
    private long _rowsInPart;
    private bool _extraColumn;
    private bool _truncateLast;
    private bool _truncated;
    private byte[] _extraField = [];
    private string _fileName = "";

    public StreamSpec Spec => spec;

    public async ValueTask AppendAsync(CsvBuffer rows, List<RowLabel> labels, bool lastChunk)
    {
        var row = 0;
        var label = 0;
        while (row < rows.Rows)
        {
            if (_file is null)
            {
                Open();
            }

            var take = (int)Math.Min(rows.Rows - row, options.PartRows - _rowsInPart);
            var closes = _rowsInPart + take == options.PartRows || (lastChunk && row + take == rows.Rows);
            var firstRowNumber = _rowsInPart + 1;
            var fileName = _fileName;
            for (; label < labels.Count && labels[label].Row < row + take; label++)
            {
                var l = labels[label];
                truth.Label(fileName, firstRowNumber + (l.Row - row), spec, rows.Row(l.Row), l.Label, l.Detail);
            }

            var whole = closes && _truncateLast ? take - 1 : take;
            if (_extraColumn)
            {
                var newline = rows.Newline.Length;
                for (var r = row; r < row + whole; r++)
                {
                    var bytes = rows.Row(r);
                    _file!.Write(bytes[..^newline]);
                    _file.Write(_extraField);
                    _file.Write(bytes[^newline..]);
                }
            }
            else if (whole > 0)
            {
                _file!.Write(rows.Data[rows.RowStart(row)..rows.RowEnd(row + whole - 1)]);
            }

            if (whole < take)
            {
                // The source died mid-write: the last line stops part-way, without its line end.
                var last = rows.Row(row + whole);
                var rng = new Rng(options.Seed, (int)spec.Id, 100 + (ulong)_partIndex);
                var cut = Math.Max(1, (int)(last.Length * (0.3 + (0.4 * rng.NextDouble()))));
                _file!.Write(last[..cut]);
                _truncated = true;
                truth.Label(fileName, firstRowNumber + whole, spec, last, DefectLabels.TruncatedLastLine, "");
            }

            _rowsInPart += take;
            row += take;
            if (closes)
            {
                await CloseAsync();
            }
        }
    }

    /// <summary>Closes the open part, if any (when the last chunk had no row of this stream).</summary>
    public async ValueTask FinishAsync()
    {
        if (_file is not null)
        {
            await CloseAsync();
        }
    }

    public void Dispose() => _file?.Dispose();

    private void Open()
    {
        _partIndex++;
        var part = (_partIndex * sourceCount) + sourceIndex + 1;
        if (part > 999)
        {
            throw new InvalidOperationException($"More than 999 parts of {spec.Entity}: raise PartRows.");
        }

        var folder = Path.Combine(landingRoot, spec.Entity);
        var path = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{spec.Entity}_{stamp}_{part:D3}.csv"));
        if (File.Exists(path))
        {
            throw new IOException($"The landing file {path} already exists: another run has the same as-of minute ({stamp}).");
        }

        var rng = new Rng(options.Seed, (int)spec.Id, 200 + (ulong)_partIndex);
        _extraColumn = rng.Chance(options.Defects.ExtraColumn);
        _truncateLast = rng.Chance(options.Defects.TruncatedLastLine);
        _extraField = spec.ExtraField;
        _file = new LandingFile(path);
        _fileName = Path.GetFileName(path);
        _file.Write(spec.Header(_extraColumn));
        _rowsInPart = 0;
        _truncated = false;
        if (_extraColumn)
        {
            truth.FileDefect(Path.GetFileName(path), spec, DefectLabels.ExtraColumn, spec.ExtraColumn);
        }
    }

    /// <summary>
    /// Ends the part: hashed here, then made durable, renamed and announced in the background while the next part
    /// is written (the flush to disk is the slowest step of all).
    /// </summary>
    private ValueTask CloseAsync()
    {
        var file = _file!;
        _file = null;
        var sha256 = file.EndWriting();
        var generated = new GeneratedFile(file.FinalPath, spec.Entity, spec.SourceSystem, _rowsInPart, file.Size, sha256);
        var (part, extraColumn, truncated) = (_partIndex, _extraColumn, _truncated);
        pending.Add(Task.Run(async () =>
        {
            using (file)
            {
                file.Publish();
            }

            truth.File(generated, part, extraColumn, truncated);
            await completed(generated);
        }));
        return ValueTask.CompletedTask;
    }
}
