using Npgsql;
using NpgsqlTypes;

namespace HealthMedallion.Refinement.Identity.Review;

/// <summary>A pair for (or decided by) a reviewer.</summary>
public sealed record ReviewItem(
    long ReviewId, string FirstSourceSystem, string FirstSourcePatientId, string SecondSourceSystem, string SecondSourcePatientId,
    decimal MatchProbability, float MatchWeight, string MatchLevels, string Status, DateTimeOffset CreatedAt, DateTimeOffset? DecidedAt,
    string? DecidedBy, DateTimeOffset? AppliedAt);

/// <summary>A pair the resolver puts in front of a reviewer, first record ordinally smaller.</summary>
public sealed record ReviewCandidate(
    string FirstSourceSystem, string FirstSourcePatientId, string SecondSourceSystem, string SecondSourcePatientId,
    decimal MatchProbability, float MatchWeight, string MatchLevels);

/// <summary>
/// <c>silver.identity_review</c>: pairs between the review and auto-link thresholds wait here for a person. Decisions are
/// final: the resolver links accepted pairs at its next run (and records when), and never links rejected ones.
/// </summary>
public static class IdentityReviewQueue
{
    public const string Pending = "pending";
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";

    private const string SelectColumns = """
        review_id, first_source_system, first_source_patient_id, second_source_system, second_source_patient_id, match_probability,
        match_weight, match_levels, status, created_at, decided_at, decided_by, applied_at
        """;

    /// <summary>Adds the records of accepted pairs not applied yet to <c>touched_patient_records</c>, so that this resolution links them.</summary>
    public static async Task TouchAcceptedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO touched_patient_records (source_system, source_patient_id)
            SELECT s.source_system, s.source_patient_id
            FROM silver.identity_review q
            CROSS JOIN LATERAL (VALUES (q.first_source_system, q.first_source_patient_id), (q.second_source_system, q.second_source_patient_id))
                AS s (source_system, source_patient_id)
            WHERE q.status = 'accepted' AND q.applied_at IS NULL
              AND EXISTS (SELECT 1 FROM silver.patient_records r WHERE r.source_system = s.source_system AND r.source_patient_id = s.source_patient_id)
              AND NOT EXISTS (SELECT 1 FROM touched_patient_records t WHERE t.source_system = s.source_system AND t.source_patient_id = s.source_patient_id);
            """, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Every decided pair (decisions are few: people make them).</summary>
    public static async Task<List<ReviewItem>> DecidedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {SelectColumns} FROM silver.identity_review WHERE status <> 'pending'", connection);
        return await ReadAsync(command, cancellationToken);
    }

    /// <summary>
    /// Replaces the pending pairs of the touched records (all pending pairs, with <paramref name="allPending"/>) by <paramref name="candidates"/> (a decided pair stays as it
    /// was decided) and marks <paramref name="applied"/> accepted pairs as linked.
    /// </summary>
    public static async Task WriteAsync(
        NpgsqlConnection connection, IReadOnlyCollection<ReviewCandidate> candidates, IReadOnlyCollection<long> applied, bool allPending,
        CancellationToken cancellationToken)
    {
        await using (var command = new NpgsqlCommand("""
            DROP TABLE IF EXISTS identity_review_candidates;
            CREATE TEMP TABLE identity_review_candidates (
                first_source_system text, first_source_patient_id text, second_source_system text, second_source_patient_id text,
                match_probability numeric(5, 4), match_weight real, match_levels text) ON COMMIT DROP;
            """, connection))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var importer = await connection.BeginBinaryImportAsync("COPY identity_review_candidates FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var c in candidates)
            {
                importer.StartRow();
                importer.Write(c.FirstSourceSystem, NpgsqlDbType.Text);
                importer.Write(c.FirstSourcePatientId, NpgsqlDbType.Text);
                importer.Write(c.SecondSourceSystem, NpgsqlDbType.Text);
                importer.Write(c.SecondSourcePatientId, NpgsqlDbType.Text);
                importer.Write(c.MatchProbability, NpgsqlDbType.Numeric);
                importer.Write(c.MatchWeight, NpgsqlDbType.Real);
                importer.Write(c.MatchLevels, NpgsqlDbType.Text);
            }

            await importer.CompleteAsync(cancellationToken);
        }

        // Pending pairs of the re-judged records that are no longer uncertain leave the queue; the others keep their id and age.
        await using var insert = new NpgsqlCommand("""
            DELETE FROM silver.identity_review q
            WHERE q.status = 'pending'
              AND (@all OR EXISTS (SELECT 1 FROM touched_patient_records t
                  WHERE (q.first_source_system = t.source_system AND q.first_source_patient_id = t.source_patient_id)
                     OR (q.second_source_system = t.source_system AND q.second_source_patient_id = t.source_patient_id)))
              AND NOT EXISTS (SELECT 1 FROM identity_review_candidates c
                  WHERE (c.first_source_system, c.first_source_patient_id, c.second_source_system, c.second_source_patient_id)
                      = (q.first_source_system, q.first_source_patient_id, q.second_source_system, q.second_source_patient_id));
            UPDATE silver.identity_review SET applied_at = now() WHERE review_id = ANY(@applied);

            INSERT INTO silver.identity_review AS q (first_source_system, first_source_patient_id, second_source_system, second_source_patient_id,
                match_probability, match_weight, match_levels)
            SELECT * FROM identity_review_candidates
            ON CONFLICT (first_source_system, first_source_patient_id, second_source_system, second_source_patient_id) DO UPDATE
            SET match_probability = excluded.match_probability, match_weight = excluded.match_weight, match_levels = excluded.match_levels
            WHERE q.status = 'pending';
            """, connection) { CommandTimeout = 0 };
        insert.Parameters.AddWithValue("applied", applied.ToArray());
        insert.Parameters.AddWithValue("all", allPending);
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Pending pairs, oldest first, a page at a time, and how many are pending in all.</summary>
    public static async Task<(long Total, List<ReviewItem> Items)> ListPendingAsync(NpgsqlDataSource dataSource, int page, int pageSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var count = new NpgsqlCommand("SELECT count(*) FROM silver.identity_review WHERE status = 'pending'", connection);
        var total = (long)(await count.ExecuteScalarAsync(cancellationToken))!;
        await using var command = new NpgsqlCommand(
            $"SELECT {SelectColumns} FROM silver.identity_review WHERE status = 'pending' ORDER BY created_at, review_id LIMIT @limit OFFSET @offset", connection);
        command.Parameters.AddWithValue("limit", pageSize);
        command.Parameters.AddWithValue("offset", (long)(page - 1) * pageSize);
        return (total, await ReadAsync(command, cancellationToken));
    }

    /// <summary>Records a reviewer's decision on a pending pair; null when there is no such pair, the item unchanged when it was already decided.</summary>
    public static async Task<(ReviewItem? Item, bool Changed)> DecideAsync(
        NpgsqlDataSource dataSource, long reviewId, string status, string? decidedBy, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var update = new NpgsqlCommand($"""
            UPDATE silver.identity_review SET status = @status, decided_at = now(), decided_by = @by
            WHERE review_id = @id AND status = 'pending'
            RETURNING {SelectColumns}
            """, connection);
        update.Parameters.AddWithValue("status", status);
        update.Parameters.AddWithValue("by", (object?)decidedBy ?? DBNull.Value);
        update.Parameters.AddWithValue("id", reviewId);
        var updated = await ReadAsync(update, cancellationToken);
        if (updated.Count == 1)
        {
            return (updated[0], true);
        }

        await using var find = new NpgsqlCommand($"SELECT {SelectColumns} FROM silver.identity_review WHERE review_id = @id", connection);
        find.Parameters.AddWithValue("id", reviewId);
        var found = await ReadAsync(find, cancellationToken);
        return (found.FirstOrDefault(), false);
    }

    private static async Task<List<ReviewItem>> ReadAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var items = new List<ReviewItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new ReviewItem(
                reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetDecimal(5),
                reader.GetFloat(6), reader.GetString(7), reader.GetString(8), reader.GetFieldValue<DateTimeOffset>(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10), reader.IsDBNull(11) ? null : reader.GetString(11),
                reader.IsDBNull(12) ? null : reader.GetFieldValue<DateTimeOffset>(12)));
        }

        return items;
    }
}
