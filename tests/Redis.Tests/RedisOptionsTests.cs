namespace HealthMedallion.Redis.Tests;

public sealed class RedisOptionsTests
{
    [Fact]
    public void Parse_AspireConnectionString_ReadsHostPortAndPassword()
    {
        // Act
        var options = RedisOptions.Parse("localhost:6380,password=s3cr=t");

        // Assert
        Assert.Equal("localhost", options.Host);
        Assert.Equal(6380, options.Port);
        Assert.Equal("s3cr=t", options.Password);
        Assert.Equal(0, options.Database);
        Assert.Null(options.User);
        Assert.False(options.Ssl);
    }

    [Fact]
    public void Parse_AllKnownOptions_AreApplied()
    {
        // Act
        var options = RedisOptions.Parse(
            " cache.internal:7000 , user=app, defaultDatabase=3,connectTimeout=1500,syncTimeout=250,ssl=false,abortConnect=false,name=x ,");

        // Assert
        Assert.Equal("cache.internal", options.Host);
        Assert.Equal(7000, options.Port);
        Assert.Equal("app", options.User);
        Assert.Equal(3, options.Database);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), options.CommandTimeout);
        Assert.False(options.Ssl);
    }

    [Theory]
    [InlineData("localhost", "localhost", 6379)]
    [InlineData("[::1]:7001", "::1", 7001)]
    [InlineData("[::1]", "::1", 6379)]
    [InlineData("::1", "::1", 6379)]
    [InlineData("10.0.0.5:6390,commandTimeout=100", "10.0.0.5", 6390)]
    public void Parse_EndpointForms_ReadHostAndPort(string connectionString, string host, int port)
    {
        // Act
        var options = RedisOptions.Parse(connectionString);

        // Assert
        Assert.Equal(host, options.Host);
        Assert.Equal(port, options.Port);
    }

    [Fact]
    public void Parse_CommandTimeoutAndSsl_OptionNamesAreCaseInsensitive()
    {
        // Act
        var options = RedisOptions.Parse("h:1,COMMANDTIMEOUT=42,SSL=True");

        // Assert
        Assert.Equal(TimeSpan.FromMilliseconds(42), options.CommandTimeout);
        Assert.True(options.Ssl);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData("password=x", "no 'host:port' endpoint")]
    [InlineData(":6379", "has no host")]
    [InlineData("localhost:abc", "port 'abc'")]
    [InlineData("localhost:70000", "port '70000'")]
    [InlineData("localhost:0", "port '0'")]
    [InlineData("a:1,b:2", "more than one endpoint")]
    [InlineData("localhost,defaultDatabase=x", "'defaultDatabase'")]
    [InlineData("localhost,defaultDatabase=-1", "'defaultDatabase'")]
    [InlineData("localhost,connectTimeout=-5", "'connectTimeout'")]
    [InlineData("localhost,syncTimeout=soon", "'syncTimeout'")]
    [InlineData("localhost,ssl=maybe", "'ssl'")]
    [InlineData("[::1:6379", "[IPv6]:port")]
    public void Parse_BadConnectionString_ThrowsFormatExceptionNamingThePart(string connectionString, string named)
    {
        // Act
        var error = Assert.Throws<FormatException>(() => RedisOptions.Parse(connectionString));

        // Assert
        Assert.Contains(named, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToString_WithPassword_MasksIt()
    {
        // Arrange
        var options = RedisOptions.Parse("localhost:6379,password=hunter2");

        // Act
        var text = options.ToString();

        // Assert
        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.StartsWith("localhost:6379,password=*****", text, StringComparison.Ordinal);
    }
}
