using HealthMedallion.Refinement.Batches;

namespace HealthMedallion.Refinement.Tests;

/// <summary>
/// The in-memory split of a batch's rows into one winning version per business key, which must agree with the rules
/// the SQL merge applies (exact copies are duplicates, the latest other version wins).
/// </summary>
public sealed class BatchVersionsTests
{
    [Fact]
    public void Split_UniqueKeys_KeepsEveryRowInOrder()
    {
        // Arrange
        Row[] rows = [new("C1", 1, 10), new("C2", 2, 20), new("C3", 3, 30)];

        // Act
        var (winners, superseded) = BatchVersions.Split(rows);

        // Assert
        Assert.Equal(rows, winners);
        Assert.Empty(superseded);
    }

    [Fact]
    public void Split_ExactCopy_IsADuplicateOfTheFirst()
    {
        // Arrange
        Row first = new("C1", 1, 10), copy = new("C1", 2, 10);

        // Act
        var (winners, superseded) = BatchVersions.Split([first, copy]);

        // Assert
        Assert.Equal([first], winners);
        Assert.Equal([new SupersededInBatch<Row>(copy, "exact_duplicate")], superseded);
    }

    [Fact]
    public void Split_Correction_LatestWinsAndTheEarlierIsAnOlderVersion()
    {
        // Arrange
        Row original = new("C1", 1, 10), other = new("C2", 2, 20), correction = new("C1", 3, 11);

        // Act
        var (winners, superseded) = BatchVersions.Split([original, other, correction]);

        // Assert: winners stay in row order
        Assert.Equal([other, correction], winners);
        Assert.Equal([new SupersededInBatch<Row>(original, "older_version")], superseded);
    }

    [Fact]
    public void Split_CopyOfAnOlderVersionAfterACorrection_IsADuplicateAndDoesNotWin()
    {
        // Arrange: A, then its correction B, then A again (a resend of the old content)
        Row a = new("C1", 1, 10), b = new("C1", 2, 11), resentA = new("C1", 3, 10);

        // Act
        var (winners, superseded) = BatchVersions.Split([a, b, resentA]);

        // Assert: as in SQL, copies rank within (key, content) and only first copies compete for the latest version
        Assert.Equal([b], winners);
        Assert.Equal(
            [new SupersededInBatch<Row>(a, "older_version"), new SupersededInBatch<Row>(resentA, "exact_duplicate")],
            superseded);
    }

    [Fact]
    public void Split_WithAVersionOrder_KeepsTheLatestVersionEvenWhenItCameFirst()
    {
        // Arrange: patients' versions go by their source timestamp, whatever the row order
        Row newer = new("P1", 1, 10) { UpdatedAt = 2 }, older = new("P1", 2, 11) { UpdatedAt = 1 }, sameTime = new("P1", 3, 12) { UpdatedAt = 2 };

        // Act
        var (winners, superseded) = BatchVersions.Split([newer, older], r => r.BusinessKey!, isLater: (r, earlier) => r.UpdatedAt >= earlier.UpdatedAt);
        var (tieWinners, _) = BatchVersions.Split([newer, sameTime], r => r.BusinessKey!, isLater: (r, earlier) => r.UpdatedAt >= earlier.UpdatedAt);

        // Assert: the older one loses though it came later; on a tie the later row wins
        Assert.Equal([newer], winners);
        Assert.Equal([new SupersededInBatch<Row>(older, "older_version")], superseded);
        Assert.Equal([sameTime], tieWinners);
    }

    [Fact]
    public void Split_RowWithoutKey_IsRejectedByName()
    {
        // Act
        var error = Assert.Throws<ArgumentException>(() => BatchVersions.Split([new Row(null, 7, 1)]));

        // Assert
        Assert.Contains("Row 7 has no business key", error.Message, StringComparison.Ordinal);
    }

    private sealed record Row(string? BusinessKey, long RowNumber, long ContentHash) : IVersionedRow
    {
        public string SourceSystem => "CLAIMS_SYSTEM";

        public string FileSourceSystem => "CLAIMS_SYSTEM";

        public string? RecordError => null;

        public string[] FailedWarnings { get; set; } = [];

        public int UpdatedAt { get; init; }
    }
}
