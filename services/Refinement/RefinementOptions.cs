namespace HealthMedallion.Refinement;

/// <summary>Section <c>Refinement</c>.</summary>
public sealed class RefinementOptions
{
    public const string SectionName = "Refinement";

    public const int MinimumKeyLength = 32;

    /// <summary>The secret key of the SSN hash (at least 32 characters). Never in the repository: the app host generates a development key.</summary>
    public string SsnHashKey { get; set; } = "";

    /// <summary>How long a claim or event whose patient is unknown waits for the patient before it is quarantined as an orphan.</summary>
    public TimeSpan OrphanGracePeriod { get; set; } = TimeSpan.FromHours(24);

    /// <summary>How often expired orphans are quarantined, unpublished batch events re-published and unrefined bronze batches caught up.</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A bronze batch committed longer ago than this without a silver record is refined by the sweep (its event was lost or is stuck).</summary>
    public TimeSpan CatchUpAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Rows transformed per parallel work item.</summary>
    public int TransformChunkRows { get; set; } = 8_192;

    /// <summary>Probabilistic identity resolution.</summary>
    public IdentityResolutionOptions Identity { get; set; } = new();

    /// <summary>The key's bytes (its UTF-8 text); throws, naming the setting, when it is missing or too short.</summary>
    public byte[] SsnHashKeyBytes()
    {
        if (string.IsNullOrWhiteSpace(SsnHashKey))
        {
            throw new InvalidOperationException(
                "Refinement:SsnHashKey is not set: give the SSN hash a secret key of at least 32 characters. The app host generates one for development.");
        }

        return SsnHashKey.Length >= MinimumKeyLength
            ? System.Text.Encoding.UTF8.GetBytes(SsnHashKey)
            : throw new InvalidOperationException($"Refinement:SsnHashKey has {SsnHashKey.Length} characters; the SSN hash needs at least {MinimumKeyLength}.");
    }
}

/// <summary>Section <c>Refinement:Identity</c>: probabilistic identity resolution (services/Refinement/README.md, "Identity").</summary>
public sealed class IdentityResolutionOptions
{
    /// <summary>A candidate pair at or above this match probability is linked without review. A false merge is worse than a missed link: high.</summary>
    public double AutoLinkProbability { get; set; } = 0.95;

    /// <summary>A pair at or above this probability, below <see cref="AutoLinkProbability"/>, that could join, goes to the review queue.</summary>
    public double ReviewProbability { get; set; } = 0.5;

    /// <summary>When the touched records are at least this share of all source records, the whole population is read (and the model estimated again).</summary>
    public double FullReadShare { get; set; } = 0.05;

    /// <summary>
    /// The longest a patient batch's records wait in the backlog for a patient batch queued behind it to resolve them
    /// (<see cref="Identity.IdentityBacklog"/>): past it they are resolved by the next patient batch or the sweep.
    /// </summary>
    public TimeSpan MaxDeferral { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Random pairs of records from different sources from which u is estimated.</summary>
    public int RandomPairs { get; set; } = 200_000;

    /// <summary>Fewest candidate pairs (and records) from which a model is estimated; below, the latest model (or the starting values) is used.</summary>
    public int MinPairsForEstimation { get; set; } = 1_000;
}
