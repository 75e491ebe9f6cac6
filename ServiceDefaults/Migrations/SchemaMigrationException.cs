namespace HealthMedallion.ServiceDefaults.Migrations;

/// <summary>A schema migration could not be applied; the message names the file.</summary>
public sealed class SchemaMigrationException : Exception
{
    public SchemaMigrationException()
    {
    }

    public SchemaMigrationException(string message)
        : base(message)
    {
    }

    public SchemaMigrationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SchemaMigrationException(string message, string fileName, Exception? innerException = null)
        : base(message, innerException)
    {
        FileName = fileName;
    }

    /// <summary>The migration file at fault, when there is one.</summary>
    public string? FileName { get; }
}
