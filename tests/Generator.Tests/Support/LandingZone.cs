using System.Text;

namespace HealthMedallion.Generator.Tests.Support;

/// <summary>A landed CSV file as an independent RFC 4180 reader sees it.</summary>
public sealed record LandedFile(string Path, string Name, string Entity, string[] Header, IReadOnlyList<string[]> Rows, IReadOnlyList<string> RawRows, byte[] Bytes)
{
    public string SourceSystem => Rows.Count > 0 ? Rows[0][Array.IndexOf(Header, "source_system")] : "";

    public string? Field(int row, string column)
    {
        var index = Array.IndexOf(Header, column);
        var fields = Rows[row];
        return index >= 0 && index < fields.Length ? fields[index] : null;
    }
}

/// <summary>A generation run read back: its files, labels and identities, parsed without the generator's code.</summary>
public sealed class LandingZone
{
    public required IReadOnlyList<LandedFile> Files { get; init; }

    public required IReadOnlyList<Dictionary<string, string>> Labels { get; init; }

    public required IReadOnlyList<Dictionary<string, string>> Identities { get; init; }

    public static LandingZone Read(string landingRoot, string runFolder) => new()
    {
        Files = [.. Directory.EnumerateFiles(landingRoot, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(ReadFile)],
        Labels = ReadTable(Path.Combine(runFolder, "labels.csv")),
        Identities = ReadTable(Path.Combine(runFolder, "identities.csv")),
    };

    public static LandedFile ReadFile(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var (records, raws) = Parse(new UTF8Encoding(false, true).GetString(bytes));
        return new LandedFile(path, Path.GetFileName(path), Path.GetFileName(Path.GetDirectoryName(path)!), records[0], records[1..], raws[1..], bytes);
    }

    public static List<Dictionary<string, string>> ReadTable(string path)
    {
        var (records, _) = Parse(File.ReadAllText(path));
        var header = records[0];
        return [.. records.Skip(1).Select(r => header.Select((h, i) => (h, v: i < r.Length ? r[i] : "")).ToDictionary(p => p.h, p => p.v))];
    }

    /// <summary>RFC 4180: fields separated by commas, records by CRLF or LF, quoted fields with doubled quotes.</summary>
    public static (List<string[]> Records, List<string> Raw) Parse(string text)
    {
        var records = new List<string[]>();
        var raws = new List<string>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var start = 0;
        var i = 0;
        var quoted = false;
        void EndRecord(int end)
        {
            fields.Add(field.ToString());
            field.Clear();
            records.Add([.. fields]);
            raws.Add(text[start..end]);
            fields.Clear();
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i += 2;
                    continue;
                }

                if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }

                i++;
                continue;
            }

            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    EndRecord(i);
                    i++;
                    start = i + 1;
                    break;
                case '\n':
                    EndRecord(i);
                    start = i + 1;
                    break;
                default:
                    field.Append(c);
                    break;
            }

            i++;
        }

        if (start < text.Length)
        {
            EndRecord(text.Length);
        }

        return (records, raws);
    }
}
