using System.Text;
using HealthMedallion.Ingestion.Csv;

namespace HealthMedallion.Ingestion.Bronze;

/// <summary>A file's header row mapped onto a bronze table: which field holds each source column, and which fields fit none.</summary>
public sealed class BronzeHeader
{
    private BronzeHeader(BronzeTable table, string[] names, int[] fieldOfColumn, (int Field, string Name)[] unknownFields)
    {
        Table = table;
        Names = names;
        FieldOfColumn = fieldOfColumn;
        UnknownFields = unknownFields;
    }

    public BronzeTable Table { get; }

    /// <summary>The header's names, as written in the file.</summary>
    public IReadOnlyList<string> Names { get; }

    public int FieldCount => Names.Count;

    /// <summary>For each of <see cref="BronzeTable.SourceColumns"/>, the field that holds it, or -1 (the column is null).</summary>
    public int[] FieldOfColumn { get; }

    /// <summary>Fields whose name is no column of the table: their values go to <c>_rescued_data</c>.</summary>
    public (int Field, string Name)[] UnknownFields { get; }

    /// <summary>Maps the header record the reader is on (case-insensitively); null with a reason when it is no usable header.</summary>
    public static BronzeHeader? TryCreate(BronzeTable table, CsvRecordReader header, out string? rejection)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(header);

        switch (header.Defect)
        {
            case CsvDefect.NotText:
                rejection = "binary content: the first line is not UTF-8 text";
                return null;
            case CsvDefect.TooLong:
                rejection = "binary content or no line ends: the first line is longer than the maximum record size";
                return null;
            case CsvDefect.UnclosedQuote or CsvDefect.BadQuoting:
                rejection = "unreadable header row: bad quoting in the first line";
                return null;
        }

        var names = new string[header.FieldCount];
        var fieldOfColumn = new int[table.SourceColumns.Count];
        Array.Fill(fieldOfColumn, -1);
        var unknown = new List<(int, string)>();
        for (var field = 0; field < names.Length; field++)
        {
            var name = Encoding.UTF8.GetString(header.Field(field)).Trim();
            names[field] = name;
            var column = IndexOf(table, name);
            if (column >= 0 && fieldOfColumn[column] < 0)
            {
                fieldOfColumn[column] = field;
            }
            else
            {
                // A repeated or empty name still needs a key of its own in the JSON.
                var key = name.Length == 0 ? $"_column_{field + 1}" : column >= 0 ? $"{name}_{field + 1}" : name;
                unknown.Add((field, key));
            }
        }

        if (fieldOfColumn.All(field => field < 0))
        {
            var found = string.Join(", ", names.Take(5).Select(n => n.Length > 40 ? n[..40] + "…" : n));
            rejection = $"no header row: none of the first line's fields ({found}) is a column of {table.QualifiedName}";
            return null;
        }

        rejection = null;
        return new BronzeHeader(table, names, fieldOfColumn, [.. unknown]);
    }

    private static int IndexOf(BronzeTable table, string name)
    {
        for (var i = 0; i < table.SourceColumns.Count; i++)
        {
            if (string.Equals(table.SourceColumns[i], name, StringComparison.OrdinalIgnoreCase))
            {
                return i;
            }
        }

        return -1;
    }
}
