namespace HealthMedallion.Generator.Generation;

/// <summary>A label on one row of a stream, by the row's index within its chunk.</summary>
internal readonly record struct RowLabel(int Row, string Label, string Detail);

/// <summary>Everything generated for one chunk of people, per stream, plus the identity truth; reused.</summary>
internal sealed class Chunk
{
    public CsvBuffer[] Streams { get; } = [.. StreamSpec.All.Select(s => new CsvBuffer(s.Newline))];

    public List<RowLabel>[] Labels { get; } = [.. StreamSpec.All.Select(_ => new List<RowLabel>())];

    public CsvBuffer Identities { get; } = new(StreamSpec.Lf);

    public void Clear()
    {
        foreach (var stream in Streams)
        {
            stream.Clear();
        }

        foreach (var labels in Labels)
        {
            labels.Clear();
        }

        Identities.Clear();
    }
}
