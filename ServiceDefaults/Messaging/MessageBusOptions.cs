namespace HealthMedallion.ServiceDefaults.Messaging;

/// <summary>How a failing consumer is retried before its message goes to the <c>_error</c> queue (section <c>MessageBus</c>).</summary>
public sealed class MessageBusOptions
{
    public const string SectionName = "MessageBus";

    /// <summary>Retries after the first attempt; the message is delivered to the consumer at most this + 1 times.</summary>
    public int RetryLimit { get; set; } = 5;

    public TimeSpan RetryMinInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RetryMaxInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Grows the interval exponentially between <see cref="RetryMinInterval"/> and <see cref="RetryMaxInterval"/>.</summary>
    public TimeSpan RetryIntervalDelta { get; set; } = TimeSpan.FromMilliseconds(500);
}
