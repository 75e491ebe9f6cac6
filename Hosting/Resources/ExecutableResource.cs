using HealthMedallion.Hosting.Processes;

namespace HealthMedallion.Hosting.Resources;

/// <summary>Any program, supervised like a project; healthy while its process runs (Aspire's AddExecutable).</summary>
public sealed class ExecutableResource(string name, string command, IReadOnlyList<string> arguments) : Resource(name)
{
    private SupervisedProcess? _process;

    public override string Kind => "executable";

    protected internal override int Restarts => _process?.Restarts ?? 0;

    protected internal override int? Pid => _process?.Pid;

    public ResourceLog? Log => _process?.Log;

    protected internal override Task StartAsync(RunContext context, CancellationToken cancellationToken)
    {
        _process = new SupervisedProcess(Name, () => new ProcessSpec(command, arguments), context, (state, message) => Report(state, message));
        _process.Start();
        return Task.CompletedTask;
    }

    protected internal override Task<bool> CheckHealthAsync(CancellationToken cancellationToken) =>
        Task.FromResult(_process?.Pid is { } pid && ProcessTree.IsAlive(pid));

    protected internal override async Task StopAsync()
    {
        if (_process is { } process)
        {
            await process.StopAsync();
            process.Dispose();
        }
    }
}
