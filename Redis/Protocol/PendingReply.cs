using System.Buffers;

namespace HealthMedallion.Redis.Protocol;

/// <summary>Something written to the connection that waits for its replies, in the order they were written.</summary>
internal abstract class PendingReply
{
    public abstract string Name { get; }

    /// <summary>When the caller stops waiting (a <see cref="System.Diagnostics.Stopwatch"/> timestamp); long.MaxValue for never.</summary>
    public long Deadline { get; set; } = long.MaxValue;

    /// <summary>True once the caller stopped waiting (done, cancelled, timed out, failed). Still queued: it is not sent.
    /// Already sent: its reply is still read, to keep replies paired with commands, and then dropped.</summary>
    public abstract bool IsAbandoned { get; }

    public abstract void WriteTo(IBufferWriter<byte> output);

    /// <summary>Takes one complete reply; true when this entry expects no more replies.</summary>
    public abstract bool OnReply(in ReadOnlySequence<byte> reply);

    /// <summary>Completes the caller with <paramref name="error"/> (unless it already completed) and releases the request.</summary>
    public abstract void Fail(Exception error);

    /// <summary>The caller gives up: complete it as cancelled (or with <paramref name="reason"/>, e.g. a timeout) and
    /// ignore whatever comes later. Unlike <see cref="Fail"/> it may run while the write loop copies the request.</summary>
    public abstract void Abandon(Exception? reason = null);
}

/// <summary>One command and its typed result.</summary>
internal sealed class RedisCommand<T>(RespRequest request, ReplyDecoder<T> decoder) : PendingReply
{
    private readonly RespRequest _request = request.EnsureComplete();

    // Continuations run on the thread pool: a caller's code must never run on (and stall) the read loop.
    private readonly TaskCompletionSource<T> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<T> Task => _completion.Task;

    public override string Name => _request.Command;

    public override bool IsAbandoned => _completion.Task.IsCompleted;

    public override void WriteTo(IBufferWriter<byte> output) => _request.WriteTo(output);

    public override bool OnReply(in ReadOnlySequence<byte> reply)
    {
        if (_completion.Task.IsCompleted)
        {
            return true;
        }

        try
        {
            var reader = new RespReader(reply);
            _completion.TrySetResult(decoder(ref reader));
        }
        catch (RedisException ex)
        {
            _completion.TrySetException(ex);
        }
        catch (Exception ex)
        {
            // A reply this decoder cannot read fails only this command: the framer already found where it ends.
            _completion.TrySetException(new RedisException($"Could not read the reply to {Name}: {ex.Message}", ex));
        }

        return true;
    }

    public override void Fail(Exception error)
    {
        _request.Release();
        _completion.TrySetException(error);
    }

    public override void Abandon(Exception? reason = null)
    {
        if (reason is null)
        {
            _completion.TrySetCanceled();
        }
        else
        {
            _completion.TrySetException(reason);
        }
    }
}

/// <summary>MULTI, the queued commands and EXEC, written as one unit so no other caller's command lands inside it.
/// Its replies: +OK for MULTI, +QUEUED (or a queue-time error) per command, then EXEC's array of results.</summary>
internal sealed class TransactionUnit(IReadOnlyList<PendingReply> commands) : PendingReply
{
    private static readonly byte[] Multi = "*1\r\n$5\r\nMULTI\r\n"u8.ToArray();
    private static readonly byte[] Exec = "*1\r\n$4\r\nEXEC\r\n"u8.ToArray();

    private readonly TaskCompletionSource<bool> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly RedisServerException?[] _queueErrors = new RedisServerException?[commands.Count];
    private int _replies;

    public Task<bool> Task => _completion.Task;

    public override string Name => "MULTI/EXEC";

    public override bool IsAbandoned => _completion.Task.IsCompleted;

    public override void WriteTo(IBufferWriter<byte> output)
    {
        output.Write(Multi);
        foreach (var command in commands)
        {
            command.WriteTo(output);
        }

        output.Write(Exec);
    }

    public override bool OnReply(in ReadOnlySequence<byte> reply)
    {
        var index = _replies++;
        if (index == 0)
        {
            return false; // MULTI's +OK
        }

        if (index <= commands.Count)
        {
            _queueErrors[index - 1] = ErrorOf(reply);
            return false;
        }

        CompleteFromExec(reply);
        return true;
    }

    public override void Fail(Exception error)
    {
        foreach (var command in commands)
        {
            command.Fail(error);
        }

        _completion.TrySetException(error);
    }

    public override void Abandon(Exception? reason = null)
    {
        if (reason is null)
        {
            _completion.TrySetCanceled();
        }
        else
        {
            _completion.TrySetException(reason);
        }

        foreach (var command in commands)
        {
            command.Abandon(reason);
        }
    }

    private void CompleteFromExec(in ReadOnlySequence<byte> reply)
    {
        if (_completion.Task.IsCompleted)
        {
            return;
        }

        try
        {
            var reader = new RespReader(reply);
            var count = reader.ReadArrayLength(); // EXECABORT (a command failed to queue) throws here
            if (count != commands.Count)
            {
                throw new RedisException($"EXEC returned {count} results for {commands.Count} queued commands.");
            }

            foreach (var command in commands)
            {
                command.OnReply(reader.ReadRawElement());
            }

            _completion.TrySetResult(true);
        }
        catch (Exception ex)
        {
            var firstQueueError = Array.Find(_queueErrors, e => e is not null);
            var error = ex switch
            {
                RedisServerException server when firstQueueError is not null => new RedisServerException(server.Message, firstQueueError),
                RedisException redis => redis,
                _ => new RedisException($"Could not read the reply to EXEC: {ex.Message}", ex),
            };
            for (var i = 0; i < commands.Count; i++)
            {
                commands[i].Fail(_queueErrors[i] ?? error);
            }

            _completion.TrySetException(error);
        }
    }

    private static RedisServerException? ErrorOf(in ReadOnlySequence<byte> reply)
    {
        try
        {
            var reader = new RespReader(reply);
            reader.ReadOk();
            return null;
        }
        catch (RedisServerException ex)
        {
            return ex;
        }
    }
}
