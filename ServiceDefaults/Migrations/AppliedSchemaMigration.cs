namespace HealthMedallion.ServiceDefaults.Migrations;

/// <summary>A row of <c>&lt;schema&gt;.schema_migrations</c>: a file that has been applied.</summary>
public sealed record AppliedSchemaMigration(int Version, string FileName, string Checksum, DateTimeOffset AppliedAt);
