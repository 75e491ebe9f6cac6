namespace HealthMedallion.Contracts;

/// <summary>The three business entities, as named in events, folders and tables.</summary>
public static class Entities
{
    public const string Patients = "patients";
    public const string Claims = "claims";
    public const string MedicalEvents = "medical_events";

    public static IReadOnlyList<string> All { get; } = [Patients, Claims, MedicalEvents];
}
