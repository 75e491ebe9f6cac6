using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Net.Security;
using System.Net.Sockets;
using System.Threading.Channels;

namespace HealthMedallion.Redis.Protocol;

/// <summary>One physical connection: a write loop that sends queued commands in order, batching whatever is queued
/// into one flush, and a read loop that pairs each reply with the oldest unanswered command (Redis answers in order).
/// When either side fails the session ends for good and fails every command it still holds; the owner opens a new one.</summary>
internal sealed class RedisSession : IAsyncDisposable
{
    // Start sending a large batch before all of it is encoded; small batches go in one write.
    private const int FlushThreshold = 64 * 1024;

    private readonly Stream _stream;
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly string _endPoint;
    private readonly Channel<PendingReply> _outgoing = Channel.CreateUnbounded<PendingReply>(
        new UnboundedChannelOptions { SingleReader = true, AllowSynchronousContinuations = false });

    // Filled only by the write loop, before the bytes go out, so a reply always finds its command here.
    private readonly ConcurrentQueue<PendingReply> _awaitingReply = new();
    // Never disposed: Shutdown may still cancel it after the loops ended, and it holds no timer or handle.
    private readonly CancellationTokenSource _shutdown = new();
    private RespFramer _framer;
    private Exception? _failure;

    // Since when the server has owed us a reply without sending anything (a timestamp): tells a stalled
    // or vanished server, whose socket may stay open for many minutes, from one slow command.
    private long _silentSince = Stopwatch.GetTimestamp();
    private Task _run = Task.CompletedTask;

    private RedisSession(Stream stream, string endPoint)
    {
        _stream = stream;
        _endPoint = endPoint;
        _input = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        _output = PipeWriter.Create(stream, new StreamPipeWriterOptions(leaveOpen: true));
    }

    public bool IsAlive => Volatile.Read(ref _failure) is null;

    /// <summary>Connects, then runs AUTH and SELECT before anyone else can queue a command.</summary>
    /// <exception cref="RedisConnectionException">The server cannot be reached in time, or refuses AUTH/SELECT.</exception>
    public static async Task<RedisSession> ConnectAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        var endPoint = options.EndPoint;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);

        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        RedisSession? session = null;
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, timeout.Token).ConfigureAwait(false);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (options.Ssl)
            {
                var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = ssl;
                var tls = new SslClientAuthenticationOptions
                {
                    TargetHost = options.Host,
                    RemoteCertificateValidationCallback = options.CertificateValidation,
                };
                await ssl.AuthenticateAsClientAsync(tls, timeout.Token).ConfigureAwait(false);
            }

            session = new RedisSession(stream, endPoint);
            session.Start();
            await session.HandshakeAsync(options, timeout.Token).ConfigureAwait(false);
            return session;
        }
        catch (Exception ex)
        {
            if (session is not null)
            {
                await session.DisposeAsync().ConfigureAwait(false);
            }
            else if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                socket.Dispose();
            }

            throw ex switch
            {
                OperationCanceledException when cancellationToken.IsCancellationRequested => ex,
                OperationCanceledException => new RedisConnectionException(
                    $"Could not connect to Redis at {endPoint} within {options.ConnectTimeout.TotalMilliseconds:0} ms.", ex),
                RedisServerException => new RedisConnectionException(
                    $"Redis at {endPoint} refused the connection set-up: {ex.Message}", ex),
                RedisConnectionException => ex,
                _ => new RedisConnectionException($"Could not connect to Redis at {endPoint}: {ex.Message}", ex),
            };
        }
    }

    /// <summary>Queues a command for the write loop; false if this session has ended (nothing was sent, so the
    /// caller may safely use the next session).</summary>
    public bool TryEnqueue(PendingReply command) => _outgoing.Writer.TryWrite(command);

    /// <summary>A command timed out. If the server has sent nothing at all for <paramref name="silenceLimit"/> while
    /// owing replies, treat it as gone: end the session so the next command reconnects instead of timing out forever.</summary>
    public void OnCommandTimeout(TimeSpan silenceLimit)
    {
        var silence = Stopwatch.GetElapsedTime(Volatile.Read(ref _silentSince));
        if (!_awaitingReply.IsEmpty && silence > silenceLimit)
        {
            Shutdown(new TimeoutException($"the server sent nothing for {silence.TotalMilliseconds:0} ms while replies were due"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        Shutdown(new ObjectDisposedException(nameof(RedisConnection), "The RedisConnection was disposed."));
        await _run.ConfigureAwait(false);
    }

    private void Start()
    {
        // Task.Run: the loops must not capture whatever synchronization context the first caller had.
        _run = Task.Run(RunAsync);
    }

    private async Task HandshakeAsync(RedisOptions options, CancellationToken cancellationToken)
    {
        var steps = new List<Task>();
        if (options.Password is not null)
        {
            var auth = options.User is null
                ? new RespRequest("AUTH", 1).Add(options.Password)
                : new RespRequest("AUTH", 2).Add(options.User).Add(options.Password);
            steps.Add(Enqueue(new RedisCommand<bool>(auth, Replies.Ok)));
        }

        if (options.Database != 0)
        {
            steps.Add(Enqueue(new RedisCommand<bool>(new RespRequest("SELECT", 1).Add(options.Database), Replies.Ok)));
        }

        // WhenAll rethrows the first failure in list order: AUTH's, which also explains a SELECT failing with NOAUTH.
        await Task.WhenAll(steps).WaitAsync(cancellationToken).ConfigureAwait(false);

        Task Enqueue(RedisCommand<bool> command)
        {
            TryEnqueue(command);
            return command.Task;
        }
    }

    private async Task RunAsync()
    {
        await Task.WhenAll(ReadLoopAsync(), WriteLoopAsync()).ConfigureAwait(false);

        // Both loops have stopped and the channel is closed: nothing else touches the queues now.
        var lost = new RedisConnectionException(
            $"The connection to Redis at {_endPoint} was lost ({_failure!.Message}); the command may or may not have run.",
            _failure);
        while (_awaitingReply.TryDequeue(out var sent))
        {
            sent.Fail(lost);
        }

        var notSent = new RedisConnectionException(
            $"The connection to Redis at {_endPoint} was lost ({_failure.Message}) before the command was sent.", _failure);
        while (_outgoing.Reader.TryRead(out var queued))
        {
            queued.Fail(notSent);
        }

        await _input.CompleteAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            var outgoing = _outgoing.Reader;
            while (await outgoing.WaitToReadAsync(_shutdown.Token).ConfigureAwait(false))
            {
                while (outgoing.TryRead(out var command))
                {
                    if (command.IsAbandoned)
                    {
                        command.Fail(new OperationCanceledException()); // only releases its buffer
                        continue;
                    }

                    if (_awaitingReply.IsEmpty)
                    {
                        Volatile.Write(ref _silentSince, Stopwatch.GetTimestamp()); // the server owes nothing older
                    }

                    _awaitingReply.Enqueue(command);
                    command.WriteTo(_output);
                    if (_output.UnflushedBytes >= FlushThreshold)
                    {
                        await _output.FlushAsync(_shutdown.Token).ConfigureAwait(false);
                    }
                }

                await _output.FlushAsync(_shutdown.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            Shutdown(ex);
        }
    }

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                var result = await _input.ReadAsync(_shutdown.Token).ConfigureAwait(false);
                Volatile.Write(ref _silentSince, Stopwatch.GetTimestamp());
                var buffer = result.Buffer;
                DispatchReplies(ref buffer);
                _input.AdvanceTo(buffer.Start, buffer.End);
                if (result.IsCompleted)
                {
                    Shutdown(new IOException("the server closed the connection"));
                    return;
                }
            }
        }
        catch (Exception ex)
        {
            Shutdown(ex);
        }
    }

    private void DispatchReplies(ref ReadOnlySequence<byte> buffer)
    {
        while (_framer.TryFrame(buffer, out var end))
        {
            var reply = buffer.Slice(0, end);
            if (!_awaitingReply.TryPeek(out var command))
            {
                throw new InvalidDataException($"Unexpected reply with no command waiting: {Preview(reply)}");
            }

            if (command.OnReply(reply))
            {
                _awaitingReply.TryDequeue(out _);
            }

            buffer = buffer.Slice(end);
        }
    }

    /// <summary>Ends the session once; the first reason is the one reported.</summary>
    private void Shutdown(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is not null)
        {
            return;
        }

        _outgoing.Writer.TryComplete();
        _shutdown.Cancel();
    }

    private static string Preview(in ReadOnlySequence<byte> reply)
    {
        var head = reply.Slice(0, Math.Min(reply.Length, 80)).ToArray();
        return System.Text.Encoding.UTF8.GetString(head).TrimEnd();
    }
}
