namespace HealthMedallion.GoldModeling;

/// <summary>Settings of section <c>GoldModeling</c>.</summary>
public sealed class GoldModelingOptions
{
    public const string SectionName = "GoldModeling";

    /// <summary>How often the sweep looks for refined batches gold missed and refreshes never published.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How old a refined silver batch (or an unpublished refresh) must be before the sweep takes it over from the event.</summary>
    public TimeSpan CatchUpAfter { get; set; } = TimeSpan.FromMinutes(2);
}
