namespace HealthMedallion.ServiceDefaults.Tests.Messaging;

/// <summary>A message whose consumer always throws.</summary>
public sealed record ProbeRejected(Guid Id);

/// <summary>A message consumed by two services.</summary>
public sealed record ProbeShared(Guid Id);
