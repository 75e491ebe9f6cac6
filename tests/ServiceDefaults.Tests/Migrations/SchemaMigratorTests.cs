using System.Security.Cryptography;
using System.Text;
using HealthMedallion.ServiceDefaults.Migrations;
using HealthMedallion.TestSupport;
using Npgsql;

namespace HealthMedallion.ServiceDefaults.Tests.Migrations;

public sealed class SchemaMigratorTests(IsolatedServices services) : IClassFixture<IsolatedServices>, IAsyncLifetime
{
    // Every test migrates its own schema in the class's database, so tests share nothing.
    private readonly string _schema = "m_" + Guid.NewGuid().ToString("N")[..10];
    private NpgsqlDataSource _dataSource = null!;

    public Task InitializeAsync()
    {
        _dataSource = NpgsqlDataSource.Create(services.Postgres);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _dataSource.DisposeAsync();

    [Fact]
    public async Task Migrate_AppliesFilesInNumericVersionOrder_AndRecordsEach()
    {
        // Arrange: given out of order; "10" sorts before "2" as text, so only a numeric sort passes.
        SchemaMigration[] migrations =
        [
            new("10_third.sql", "INSERT INTO applied_order (version) VALUES (10);"),
            new("1_create.sql", "CREATE TABLE applied_order (seq serial PRIMARY KEY, version integer NOT NULL); INSERT INTO applied_order (version) VALUES (1);"),
            new("2_second.sql", "INSERT INTO applied_order (version) VALUES (2);"),
        ];
        var before = await DatabaseNowAsync();

        // Act
        var applied = await Migrator(migrations).MigrateAsync();

        // Assert
        Assert.Equal([1, 2, 10], applied.Select(m => m.Version));
        Assert.Equal([1, 2, 10], await IntegersAsync($"SELECT version FROM {_schema}.applied_order ORDER BY seq"));

        var recorded = await SchemaMigrator.GetAppliedAsync(_dataSource, _schema);
        Assert.Equal(["1_create.sql", "2_second.sql", "10_third.sql"], recorded.Select(r => r.FileName));
        Assert.Equal([1, 2, 10], recorded.Select(r => r.Version));
        foreach (var row in recorded)
        {
            var sql = migrations.Single(m => m.FileName == row.FileName).Sql;
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sql))), row.Checksum);
            Assert.InRange(row.AppliedAt, before, before.AddMinutes(1));
        }
    }

    [Fact]
    public async Task Migrate_RunAgain_AppliesNothing_AndThenOnlyANewFile()
    {
        // Arrange
        SchemaMigration[] first =
        [
            new("001_create.sql", "CREATE TABLE runs (version integer NOT NULL); INSERT INTO runs VALUES (1);"),
            new("002_insert.sql", "INSERT INTO runs VALUES (2);"),
        ];
        await Migrator(first).MigrateAsync();
        var recordedBefore = await SchemaMigrator.GetAppliedAsync(_dataSource, _schema);

        // Act
        var again = await Migrator(first).MigrateAsync();
        var withNewFile = await Migrator([.. first, new("003_insert.sql", "INSERT INTO runs VALUES (3);")]).MigrateAsync();

        // Assert
        Assert.Empty(again);
        Assert.Equal(["003_insert.sql"], withNewFile.Select(m => m.FileName));
        Assert.Equal([1, 2, 3], await IntegersAsync($"SELECT version FROM {_schema}.runs ORDER BY version"));
        var recordedAfter = await SchemaMigrator.GetAppliedAsync(_dataSource, _schema);
        Assert.Equal(recordedBefore, recordedAfter.Take(2));
        Assert.Equal(3, recordedAfter.Count);
    }

    [Fact]
    public async Task Migrate_AppliedFileChanged_FailsNamingTheFile_AndAppliesNothingAfterIt()
    {
        // Arrange
        await Migrator([new("001_create.sql", "CREATE TABLE edited (id integer);")]).MigrateAsync();
        SchemaMigration[] edited =
        [
            new("001_create.sql", "CREATE TABLE edited (id bigint);"),
            new("002_later.sql", "CREATE TABLE later (id integer);"),
        ];

        // Act
        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => Migrator(edited).MigrateAsync());

        // Assert
        Assert.Equal("001_create.sql", error.FileName);
        Assert.Contains("001_create.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("changed", error.Message, StringComparison.Ordinal);
        Assert.False(await TableExistsAsync("later"));
        Assert.Single(await SchemaMigrator.GetAppliedAsync(_dataSource, _schema));
    }

    [Fact]
    public async Task Migrate_FailingFile_RollsItBackWhole_AndNamesTheFileAndPostgresMessage()
    {
        // Arrange: the second file creates a table, then fails.
        SchemaMigration[] migrations =
        [
            new("001_ok.sql", "CREATE TABLE kept (id integer);"),
            new("002_broken.sql", "CREATE TABLE half_done (id integer);\nSELECT 1 / 0;"),
        ];

        // Act
        var error = await Assert.ThrowsAsync<SchemaMigrationException>(() => Migrator(migrations).MigrateAsync());

        // Assert
        Assert.Equal("002_broken.sql", error.FileName);
        Assert.Contains("002_broken.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("division by zero", error.Message, StringComparison.Ordinal);
        Assert.IsType<PostgresException>(error.InnerException);
        Assert.True(await TableExistsAsync("kept"));
        Assert.False(await TableExistsAsync("half_done"));
        Assert.Equal(["001_ok.sql"], (await SchemaMigrator.GetAppliedAsync(_dataSource, _schema)).Select(r => r.FileName));

        // A corrected file is then applied normally.
        var fixedRun = await Migrator([migrations[0], new("002_broken.sql", "CREATE TABLE half_done (id integer);")]).MigrateAsync();
        Assert.Equal(["002_broken.sql"], fixedRun.Select(m => m.FileName));
    }

    [Fact]
    public async Task Migrate_SeveralInstancesAtOnce_ApplyEachFileExactlyOnce()
    {
        // Arrange: every file logs its own application (no unique key), so a double application shows;
        // the first one sleeps to hold the others at the lock.
        SchemaMigration[] migrations =
        [
            new("001_create.sql", "CREATE TABLE applications (version integer NOT NULL); SELECT pg_sleep(0.3); INSERT INTO applications VALUES (1);"),
            new("002_second.sql", "INSERT INTO applications VALUES (2);"),
            new("003_third.sql", "SELECT pg_sleep(0.1); INSERT INTO applications VALUES (3);"),
        ];
        const int instances = 4;
        var dataSources = Enumerable.Range(0, instances).Select(_ => NpgsqlDataSource.Create(services.Postgres)).ToList();
        try
        {
            using var start = new Barrier(instances);

            // Act: separate data sources, like separate processes, released together.
            var runs = dataSources.Select(dataSource => Task.Run(async () =>
            {
                start.SignalAndWait();
                return await new SchemaMigrator(dataSource, _schema, migrations).MigrateAsync();
            }));
            var applied = await Task.WhenAll(runs);

            // Assert
            Assert.Equal([1, 2, 3], applied.SelectMany(a => a).Select(m => m.Version).Order());
            Assert.Equal([1, 2, 3], await IntegersAsync($"SELECT version FROM {_schema}.applications ORDER BY version"));
            Assert.Equal(3, (await SchemaMigrator.GetAppliedAsync(_dataSource, _schema)).Count);
        }
        finally
        {
            foreach (var dataSource in dataSources)
            {
                await dataSource.DisposeAsync();
            }
        }
    }

    [Fact]
    public void FromAssembly_ReadsEmbeddedSchemaFiles_InVersionOrder()
    {
        var migrations = SchemaMigration.FromAssembly(typeof(SchemaMigratorTests).Assembly);

        Assert.Equal(["001_ledger.sql", "002_first_entry.sql", "010_second_entry.sql"], migrations.Select(m => m.FileName));
        Assert.Contains("CREATE TABLE ledger", migrations[0].Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Migrations_WithTheSameVersion_AreRejected()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            SchemaMigration.InOrder([new("001_a.sql", "SELECT 1;"), new("1_b.sql", "SELECT 2;")]));

        Assert.Contains("001_a.sql", error.Message, StringComparison.Ordinal);
        Assert.Contains("1_b.sql", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("bronze.sql")]
    [InlineData("001-bronze.sql")]
    [InlineData("001_bronze.txt")]
    public void Migration_NotNamedNumberUnderscoreName_IsRejected(string fileName) =>
        Assert.Throws<ArgumentException>(() => new SchemaMigration(fileName, "SELECT 1;"));

    [Fact]
    public void Checksum_IgnoresLineEndings() =>
        Assert.Equal(new SchemaMigration("001_a.sql", "SELECT 1;\nSELECT 2;\n").Checksum, new SchemaMigration("001_a.sql", "SELECT 1;\r\nSELECT 2;\r\n").Checksum);

    private SchemaMigrator Migrator(IEnumerable<SchemaMigration> migrations) => new(_dataSource, _schema, migrations);

    private async Task<DateTimeOffset> DatabaseNowAsync()
    {
        await using var command = _dataSource.CreateCommand("SELECT now()");
        return new DateTimeOffset((DateTime)(await command.ExecuteScalarAsync())!, TimeSpan.Zero);
    }

    private async Task<List<int>> IntegersAsync(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<int>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetInt32(0));
        }

        return values;
    }

    private async Task<bool> TableExistsAsync(string table)
    {
        await using var command = _dataSource.CreateCommand("SELECT to_regclass(@name) IS NOT NULL");
        command.Parameters.AddWithValue("name", $"{_schema}.{table}");
        return (bool)(await command.ExecuteScalarAsync())!;
    }
}
