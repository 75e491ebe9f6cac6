using HealthMedallion.GoldModeling.Modeling;
using HealthMedallion.ServiceDefaults.Migrations;
using HealthMedallion.TestSupport;
using Npgsql;

namespace HealthMedallion.GoldModeling.Tests;

/// <summary>Migrations that reshape tables of a deployed gold keep its rows.</summary>
public sealed class SchemaMigrationTests : IAsyncLifetime
{
    private readonly IsolatedServices _services = new();
    private NpgsqlDataSource? _dataSource;

    private NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("Not initialized.");

    public async Task InitializeAsync()
    {
        await _services.InitializeAsync();
        _dataSource = NpgsqlDataSource.Create(_services.Postgres);
    }

    public async Task DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public async Task PatientClaimsMigration_MovesEachPatient360RowsClaimsAndStratum_AndLeavesPatient360WithoutThem()
    {
        // Arrange: gold as deployed before migration 003, with two patient 360 rows (one without claims).
        var migrations = SchemaMigration.FromAssembly(typeof(GoldModel).Assembly);
        await new SchemaMigrator(DataSource, Extensions.Schema, migrations.Where(m => m.Version < 3)).MigrateAsync();
        await ExecuteAsync("""
            INSERT INTO gold.mart_patient_360 (patient_id, patient_sk, age_years, age_band, sex, region, zip3, insurance_plan, bmi, smoker,
                risk_category, claims, claims_total, approved_total, paid_total, denied_claims, first_claim_date, last_claim_date,
                events, admissions, lab_results, stay_days, last_admission_at, last_admission_provider, latest_labs)
            VALUES ('P1', 11, 67, '65-74', 'F', 'SOUTHEAST', '303', 'MEDICARE', 31.2, true,
                    'HIGH', 3, 1250.50, 1000.00, 200.50, 1, '2024-01-05', '2024-09-30', 4, 2, 1, 6.5, '2024-09-01', 'PRV1', '{}'),
                   ('P2', 12, 30, '18-34', 'M', 'NORTHWEST', '980', 'BRONZE', NULL, NULL,
                    'LOW', 0, 0, 0, 0, 0, NULL, NULL, 0, 0, 0, 0, NULL, NULL, '{}');
            """);

        // Act
        await new SchemaMigrator(DataSource, Extensions.Schema, migrations).MigrateAsync();

        // Assert
        var moved = await QueryAsync("""
            SELECT concat_ws('|', patient_id, risk_category, region, insurance_plan, age_band, age_years, bmi, smoker, admissions, claims,
                                  claims_total, approved_total, paid_total, denied_claims, first_claim_date, last_claim_date)
            FROM gold.mart_patient_claims ORDER BY patient_id
            """);
        Assert.Equal(
            ["P1|HIGH|SOUTHEAST|MEDICARE|65-74|67|31.2|t|2|3|1250.50|1000.00|200.50|1|2024-01-05|2024-09-30", "P2|LOW|NORTHWEST|BRONZE|18-34|30|0|0|0.00|0.00|0.00|0"],
            moved);
        var left = await QueryAsync("""
            SELECT column_name::text FROM information_schema.columns
            WHERE table_schema = 'gold' AND table_name = 'mart_patient_360'
              AND column_name IN ('risk_category', 'claims', 'claims_total', 'approved_total', 'paid_total', 'denied_claims', 'first_claim_date', 'last_claim_date')
            """);
        Assert.Empty(left);
        Assert.Equal(["P1|4|F", "P2|0|M"], await QueryAsync("SELECT concat_ws('|', patient_id, events, sex) FROM gold.mart_patient_360 ORDER BY patient_id"));
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task<List<string>> QueryAsync(string sql)
    {
        var rows = new List<string>();
        await using var command = DataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }
}
