namespace HealthMedallion.Ingestion.Landing;

/// <summary>The landing zone (section <c>Landing</c>): where files arrive and how often it is scanned.</summary>
public sealed class LandingOptions
{
    public const string SectionName = "Landing";

    /// <summary>The landing zone root: one folder per entity (<c>patients/</c>, <c>claims/</c>, <c>medical_events/</c>).</summary>
    public string Root { get; set; } = "";

    /// <summary>How often the folders are scanned for files no event announced (and unfinished files resumed).</summary>
    public TimeSpan ScanInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>A scanned file modified more recently than this may still be being written: it waits for the next scan.</summary>
    public TimeSpan SettleTime { get; set; } = TimeSpan.FromSeconds(2);
}

/// <summary>How files are written into bronze (section <c>Ingestion</c>).</summary>
public sealed class IngestionOptions
{
    public const string SectionName = "Ingestion";

    /// <summary>Rows per committed batch; a restart resumes after the last committed batch.</summary>
    public int BatchRows { get; set; } = 500_000;

    /// <summary>A record longer than this (e.g. an unclosed quote) is cut and rescued rather than held in memory.</summary>
    public int MaxRecordBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>Written to <c>_pipeline_env</c>; the host environment's name when not set.</summary>
    public string? PipelineEnvironment { get; set; }

    /// <summary>How often committed batches (and rejections) whose event was not published are looked for.</summary>
    public TimeSpan RepublishInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>An unpublished batch younger than this is left to the instance that committed it (it is publishing it now).</summary>
    public TimeSpan RepublishAfter { get; set; } = TimeSpan.FromSeconds(15);
}
