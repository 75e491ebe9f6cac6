using HealthMedallion.Refinement.Claims;
using HealthMedallion.Refinement.MedicalEvents;
using Npgsql;

namespace HealthMedallion.Refinement.Batches;

/// <summary>The two patient-linked merges, for what concerns them both: releasing and expiring pending orphans.</summary>
public sealed class ClaimsAndEvents(ClaimMerge claims, MedicalEventMerge events)
{
    public IReadOnlyList<PatientLinkedMerge> All { get; } = [claims, events];

    public async Task<List<BatchCounts>> ReleaseAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var released = await claims.ReleaseAsync(connection, cancellationToken);
        released.AddRange(await events.ReleaseAsync(connection, cancellationToken));
        return released;
    }
}
