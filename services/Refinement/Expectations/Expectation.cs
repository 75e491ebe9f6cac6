using System.Text.Json.Serialization;

namespace HealthMedallion.Refinement.Expectations;

/// <summary>What happens to a row, or its batch, when an expectation does not hold (the DLT expect, expect_or_drop, expect_or_fail).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExpectationSeverity>))]
public enum ExpectationSeverity
{
    /// <summary>The row is kept, flagged and counted.</summary>
    [JsonStringEnumMemberName("warn")]
    Warn,

    /// <summary>The row is quarantined and counted.</summary>
    [JsonStringEnumMemberName("drop")]
    Drop,

    /// <summary>The whole batch is rejected: nothing of it is written.</summary>
    [JsonStringEnumMemberName("fail")]
    Fail,
}

/// <summary>A declared rule about rows of one entity: a unique name, a severity, the rule in words and the rule in C#.</summary>
public sealed record Expectation<TRow>(string Name, ExpectationSeverity Severity, string Description, Func<TRow, bool> Holds);

/// <summary>An expectation as the API and the quality monitor see it.</summary>
public sealed record ExpectationDescription(string Entity, string Name, ExpectationSeverity Severity, string Description);

public static class ExpectationSeverities
{
    /// <summary>The name stored in <c>quality.expectation_results.severity</c>.</summary>
    public static string Name(this ExpectationSeverity severity) => severity switch
    {
        ExpectationSeverity.Warn => "warn",
        ExpectationSeverity.Drop => "drop",
        _ => "fail",
    };
}
