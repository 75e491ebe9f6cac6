using System.Text;
using System.Text.Json;

namespace HealthMedallion.Generator.Generation;

/// <summary>
/// The run's ground truth, streamed beside (never inside) the landing folders: <c>labels.csv</c> (every labelled
/// row by file and row number), <c>identities.csv</c> (every source record's person) and, at the end,
/// <c>manifest.json</c> (parameters, files with rows and checksums, counts of every defect class).
/// </summary>
internal sealed class TruthWriter : IDisposable
{
    public const string ManifestFile = "manifest.json";
    public const string LabelsFile = "labels.csv";
    public const string IdentitiesFile = "identities.csv";

    private readonly LandingFile _labels;
    private readonly LandingFile _identities;
    private readonly CsvBuffer _line = new(StreamSpec.Lf);
    private readonly Dictionary<string, long> _counts = DefectLabels.Defects.ToDictionary(d => d, _ => 0L);
    private readonly Dictionary<string, long> _otherLabels = new(StringComparer.Ordinal);
    private readonly List<FileEntry> _files = [];
    private readonly string _folder;
    private string _lastFile = "";
    private byte[] _lastFileUtf8 = [];

    public TruthWriter(string runFolder)
    {
        _folder = runFolder;
        Directory.CreateDirectory(runFolder);
        foreach (var name in new[] { ManifestFile, LabelsFile, IdentitiesFile })
        {
            System.IO.File.Delete(Path.Combine(runFolder, name));
        }

        _labels = new LandingFile(Path.Combine(runFolder, LabelsFile));
        _labels.Write("file,row_number,entity,source_system,record_key,label,detail\n"u8);
        _identities = new LandingFile(Path.Combine(runFolder, IdentitiesFile));
        _identities.Write("person_id,source_system,source_patient_id,variation,lookalike_kind,lookalike_of\n"u8);
    }

    public IReadOnlyDictionary<string, long> DefectCounts => _counts;

    public string ManifestPath => Path.Combine(_folder, ManifestFile);

    public string LabelsPath => Path.Combine(_folder, LabelsFile);

    public string IdentitiesPath => Path.Combine(_folder, IdentitiesFile);

    /// <summary>Labels one row (row number 1 = the first row after the header).</summary>
    public void Label(string file, long rowNumber, StreamSpec spec, ReadOnlySpan<byte> row, string label, string detail)
    {
        var comma = row.IndexOf((byte)',');
        var key = comma < 0 ? row : row[..comma];
        if (!ReferenceEquals(file, _lastFile))
        {
            _lastFile = file;
            _lastFileUtf8 = Encoding.UTF8.GetBytes(file);
        }

        _line.Clear();
        _line.Field(_lastFileUtf8);
        _line.Field(rowNumber);
        _line.Field(spec.EntityUtf8);
        _line.Field(spec.SourceSystemUtf8);
        _line.Field(key.TrimEnd("\r\n"u8));
        _line.Field(label);
        _line.Field(detail);
        _line.EndRow();
        _labels.Write(_line.Data);
        Count(label);
    }

    /// <summary>Labels a whole file (no row number): a file-level defect.</summary>
    public void FileDefect(string file, StreamSpec spec, string label, string detail)
    {
        _line.Clear();
        _line.Field(Encoding.UTF8.GetBytes(file));
        _line.Empty();
        _line.Field(Encoding.UTF8.GetBytes(spec.Entity));
        _line.Field(Encoding.UTF8.GetBytes(spec.SourceSystem));
        _line.Empty();
        _line.Field(label);
        _line.Field(detail);
        _line.EndRow();
        _labels.Write(_line.Data);
        Count(label);
    }

    public void Identities(CsvBuffer rows) => _identities.Write(rows.Data);

    /// <summary>Records a complete landing file (callable from any thread).</summary>
    public void File(GeneratedFile file, int part, bool extraColumn, bool truncated)
    {
        List<string> defects = [];
        if (extraColumn)
        {
            defects.Add(DefectLabels.ExtraColumn);
        }

        if (truncated)
        {
            defects.Add(DefectLabels.TruncatedLastLine);
        }

        lock (_files)
        {
            _files.Add(new FileEntry(file, part, defects));
        }
    }

    /// <summary>Completes the labels and identities files and writes the manifest.</summary>
    public void Complete(GenerationOptions options, string landingRoot)
    {
        var labelsSha = _labels.Complete();
        var identitiesSha = _identities.Complete();
        using var stream = new FileStream(ManifestPath + ".tmp", FileMode.Create, FileAccess.Write);
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("generator", "HealthMedallion.Generator");
            json.WriteNumber("formatVersion", 1);
            json.WriteStartObject("parameters");
            json.WriteNumber("patients", options.Patients);
            json.WriteNumber("seed", options.Seed);
            json.WriteString("asOf", options.AsOf.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture));
            json.WriteNumber("partRows", options.PartRows);
            json.WriteNumber("adtShare", options.AdtShare);
            json.WriteNumber("labShare", options.LabShare);
            json.WriteNumber("variationRate", options.VariationRate);
            json.WriteNumber("lookalikeRate", options.LookalikeRate);
            json.WriteNumber("patientOffset", options.PatientOffset);
            json.WriteNumber("updatedPatients", options.UpdatedPatients);
            json.WriteStartArray("sources");
            foreach (var source in options.Sources)
            {
                json.WriteStringValue(source);
            }

            json.WriteEndArray();
            json.WriteStartObject("defectRates");
            foreach (var (defect, rate) in options.Defects.ByLabel())
            {
                json.WriteNumber(DefectLabels.Of(defect), rate);
            }

            json.WriteEndObject();
            json.WriteEndObject();

            json.WriteStartArray("files");
            foreach (var entry in _files.OrderBy(f => f.File.Entity, StringComparer.Ordinal).ThenBy(f => f.File.Path, StringComparer.Ordinal))
            {
                json.WriteStartObject();
                json.WriteString("path", Path.GetRelativePath(landingRoot, entry.File.Path).Replace('\\', '/'));
                json.WriteString("entity", entry.File.Entity);
                json.WriteString("sourceSystem", entry.File.SourceSystem);
                json.WriteNumber("part", entry.Part + 1);
                json.WriteNumber("rows", entry.File.Rows);
                json.WriteNumber("sizeBytes", entry.File.SizeBytes);
                json.WriteString("sha256", entry.File.Sha256);
                json.WriteStartArray("defects");
                foreach (var defect in entry.Defects)
                {
                    json.WriteStringValue(defect);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartObject("totals");
            json.WriteNumber("files", _files.Count);
            json.WriteNumber("rows", _files.Sum(f => f.File.Rows));
            json.WriteNumber("bytes", _files.Sum(f => f.File.SizeBytes));
            json.WriteEndObject();
            json.WriteStartObject("defectCounts");
            foreach (var (label, count) in _counts)
            {
                json.WriteNumber(label, count);
            }

            json.WriteEndObject();
            json.WriteStartObject("otherLabelCounts");
            foreach (var (label, count) in _otherLabels.OrderBy(l => l.Key, StringComparer.Ordinal))
            {
                json.WriteNumber(label, count);
            }

            json.WriteEndObject();
            json.WriteStartObject("truth");
            WriteTruthFile(json, "labels", LabelsFile, _labels.Size, labelsSha,
                "One line per labelled row: file, row_number (1 = first row after the header; empty for a file-level label), entity, source_system, record_key (the row's first field), label, detail (the field concerned).");
            WriteTruthFile(json, "identities", IdentitiesFile, _identities.Size, identitiesSha,
                "One line per source record of a person: person_id (the cluster: same id = same person), source_system, source_patient_id, variation, lookalike_kind (twin, namesake, junior) and lookalike_of (the person it resembles).");
            json.WriteEndObject();
            json.WriteEndObject();
        }

        stream.Dispose();
        System.IO.File.Move(ManifestPath + ".tmp", ManifestPath, overwrite: true);
    }

    public void Dispose()
    {
        _labels.Dispose();
        _identities.Dispose();
    }

    private static void WriteTruthFile(Utf8JsonWriter json, string name, string file, long size, string sha256, string description)
    {
        json.WriteStartObject(name);
        json.WriteString("path", file);
        json.WriteNumber("sizeBytes", size);
        json.WriteString("sha256", sha256);
        json.WriteString("description", description);
        json.WriteEndObject();
    }

    private void Count(string label)
    {
        if (_counts.TryGetValue(label, out var count))
        {
            _counts[label] = count + 1;
        }
        else
        {
            _otherLabels[label] = _otherLabels.GetValueOrDefault(label) + 1;
        }
    }

    private sealed record FileEntry(GeneratedFile File, int Part, List<string> Defects);
}
