namespace HealthMedallion.Generator.Runs;

/// <summary>Where the generator writes and what it does on its own (sections <c>Landing</c> and <c>Generator</c>).</summary>
public sealed class GeneratorSettings
{
    /// <summary>The landing zone root (<c>Landing:Root</c>); one folder per entity below it.</summary>
    public string LandingRoot { get; set; } = "";

    /// <summary>Run manifests and truth files, one folder per run (<c>Generator:RunsRoot</c>); never inside the landing folders.</summary>
    public string RunsRoot { get; set; } = "";

    /// <summary>At start-up with no run recorded and an empty landing zone, generate the default data set.</summary>
    public bool DefaultRun { get; set; } = true;

    /// <summary>Landed files older than this many days are removed; 0 keeps them for ever.</summary>
    public int RetentionDays { get; set; } = 30;

    /// <summary>How often an increment run (new people plus updates of existing ones) is queued; none when unset.</summary>
    public TimeSpan? ScheduleInterval { get; set; }

    public int SchedulePatients { get; set; } = 500;

    public int ScheduleUpdatedPatients { get; set; } = 200;

    /// <summary>How often unpublished files are re-published and stale runs re-queued.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A running run whose heartbeat is older than this is taken to have died with its instance.</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromMinutes(2);
}
