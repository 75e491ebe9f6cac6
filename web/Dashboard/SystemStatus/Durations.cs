using System.Globalization;

namespace HealthMedallion.Dashboard.SystemStatus;

public static class Durations
{
    /// <summary>"12 s ago", "5 min ago", "3 h 4 min ago", "2 d 1 h ago".</summary>
    public static string Ago(TimeSpan elapsed)
    {
        if (elapsed < TimeSpan.Zero)
        {
            return "just now";
        }

        var text = elapsed switch
        {
            { TotalMinutes: < 1 } => $"{elapsed.Seconds} s",
            { TotalHours: < 1 } => $"{elapsed.Minutes} min",
            { TotalDays: < 1 } => $"{elapsed.Hours} h {elapsed.Minutes} min",
            _ => $"{(int)elapsed.TotalDays} d {elapsed.Hours} h",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{text} ago");
    }
}
