using Npgsql;

namespace HealthMedallion.Refinement.Identity.Monitoring;

/// <summary>
/// The figures the quality monitor reads after every resolution, one row in <c>silver.identity_quality</c>: coverage
/// (share of source records with a resolved patient), average confidence (mean match probability over the map),
/// review-queue size, and the oldest record still waiting for a reviewer (or for resolution at all).
/// </summary>
public static class IdentityQuality
{
    public static async Task RecordAsync(NpgsqlConnection connection, long resolvedNow, long candidatePairs, DateTimeOffset? modelEstimatedAt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO silver.identity_quality (source_records, resolved_records, coverage, average_confidence, review_queue_size,
                oldest_unresolved_at, oldest_unresolved_age_seconds, records_resolved_now, candidate_pairs, model_estimated_at)
            SELECT r.records, m.records, CASE WHEN r.records = 0 THEN 1 ELSE round(m.records::numeric / r.records, 6) END,
                coalesce(round(m.confidence, 6), 1), q.pending, q.oldest,
                coalesce(extract(epoch FROM clock_timestamp() - q.oldest)::bigint, 0), @now, @pairs, @model
            FROM (SELECT count(*) AS records FROM silver.patient_records) r,
                 (SELECT count(*) AS records, avg(match_probability) AS confidence FROM silver.patient_identity_map) m,
                 (SELECT count(*) AS pending, min(created_at) AS oldest FROM silver.identity_review WHERE status = 'pending') q;
            """, connection) { CommandTimeout = 0 };
        command.Parameters.AddWithValue("now", resolvedNow);
        command.Parameters.AddWithValue("pairs", candidatePairs);
        command.Parameters.Add(new NpgsqlParameter("model", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)modelEstimatedAt?.UtcDateTime ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
