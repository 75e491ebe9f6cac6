namespace HealthMedallion.Contracts;

/// <summary>A feature view has been written to the offline and online stores as of a point in time.</summary>
public sealed record FeaturesMaterialized(
    string FeatureView,
    long EntitiesWritten,
    DateTimeOffset AsOf);
