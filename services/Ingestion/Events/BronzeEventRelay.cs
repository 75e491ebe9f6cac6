using HealthMedallion.Ingestion.Landing;
using Microsoft.Extensions.Options;

namespace HealthMedallion.Ingestion.Events;

/// <summary>The poor man's outbox relay: at start-up and periodically, publishes what was committed but never published.</summary>
public sealed class BronzeEventRelay(BronzeEvents events, IOptions<IngestionOptions> options, ILogger<BronzeEventRelay> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await events.RepublishPendingAsync(settings.RepublishAfter, stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(exception, "Re-publishing unpublished bronze events failed; trying again in {Interval}", settings.RepublishInterval);
            }

            try
            {
                await Task.Delay(settings.RepublishInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
