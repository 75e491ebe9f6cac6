using System.Runtime.InteropServices;
using HealthMedallion.TestSupport;

// Starts the shared test servers, writes their addresses as shell exports to the file named by the first
// argument, and keeps them running until SIGTERM or Ctrl-C, then stops them all. The optional second
// argument is the data folder (a fresh temporary one by default).
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: HealthMedallion.TestServers <env-file> [data-folder]");
    return 2;
}

await using var app = TestServers.Build(args.ElementAtOrDefault(1));
using var stop = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
try
{
    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
    timeout.CancelAfter(TimeSpan.FromMinutes(2));
    var endpoints = await TestServers.StartAsync(app, timeout.Token);
    var exports = endpoints.ToEnvironment().Select(e => $"export {e.Key}='{e.Value}'");
    await File.WriteAllLinesAsync(args[0] + ".tmp", exports);
    File.Move(args[0] + ".tmp", args[0], overwrite: true); // readers never see half a file
    Console.WriteLine($"test servers ready (data and logs in {app.DataRoot})");
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
}
catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
{
    Console.Error.WriteLine($"test servers failed: {e.Message}");
    Console.Error.WriteLine(app.Table());
    return 1;
}

return 0;
