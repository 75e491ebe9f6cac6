namespace HealthMedallion.Redis;

/// <summary>When SET writes the value.</summary>
public enum SetCondition
{
    /// <summary>Always (plain SET).</summary>
    Always,

    /// <summary>Only if the key does not exist yet (SET ... NX), e.g. to take a lock or claim an id.</summary>
    NotExists,

    /// <summary>Only if the key already exists (SET ... XX).</summary>
    Exists,
}
