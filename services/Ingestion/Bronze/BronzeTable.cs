using HealthMedallion.Contracts;

namespace HealthMedallion.Ingestion.Bronze;

/// <summary>A bronze table: its source columns (all text, as received) followed by the lineage columns.</summary>
public sealed class BronzeTable
{
    /// <summary>The lineage columns the ingester writes, in COPY order (<c>_ingested_at</c> is the commit's <c>now()</c>).</summary>
    // Before ByEntity: static fields initialize in order, and the tables' COPY commands need these.
    public static IReadOnlyList<string> LineageColumns { get; } =
    [
        "_source_system", "_batch_id", "_file_name", "_file_path", "_file_size", "_file_modification_time", "_row_number",
        "_rescued_data", "_pipeline_env",
    ];

    private static readonly Dictionary<string, BronzeTable> ByEntity = new(StringComparer.Ordinal)
    {
        [Entities.Patients] = new(Entities.Patients,
        [
            "patient_id", "mrn", "first_name", "last_name", "date_of_birth", "gender", "address_line1", "city", "state",
            "zip_code", "phone", "email", "ssn", "insurance_id", "insurance_plan", "coverage_start_date", "bmi", "smoker",
            "children", "charges", "source_system", "timestamp",
        ]),
        [Entities.Claims] = new(Entities.Claims,
        [
            "claim_id", "patient_id", "claim_amount", "claim_date", "diagnosis_code", "procedure_code", "claim_status",
            "source_system",
        ]),
        [Entities.MedicalEvents] = new(Entities.MedicalEvents,
        [
            "event_id", "patient_id", "event_date", "event_type", "medical_provider", "source_system", "encounter_id",
            "care_unit", "lab_code", "lab_value", "lab_unit",
        ]),
    };

    private BronzeTable(string entity, IReadOnlyList<string> sourceColumns)
    {
        Entity = entity;
        SourceColumns = sourceColumns;
        QualifiedName = $"{Extensions.Schema}.{entity}";
        CopyCommand = $"COPY {QualifiedName} ({string.Join(", ", sourceColumns.Concat(LineageColumns).Select(c => $"\"{c}\""))}) FROM STDIN (FORMAT BINARY)";
    }

    public string Entity { get; }

    /// <summary>Schema-qualified name, e.g. <c>bronze.patients</c>.</summary>
    public string QualifiedName { get; }

    public IReadOnlyList<string> SourceColumns { get; }

    public string CopyCommand { get; }

    public static IEnumerable<BronzeTable> All => ByEntity.Values;

    public static BronzeTable? For(string entity) => ByEntity.GetValueOrDefault(entity);
}
