using Anvil.Server.Hosting;
using Anvil.Server.Tests.Infrastructure;
using Npgsql;

namespace Anvil.Server.Tests.Hosting;

public sealed class configuration
{
    [Fact]
    public void defaults_apply_when_nothing_is_set()
    {
        var options = TestEnvironment.Options();

        Assert.Equal(5000, options.HttpListenPort);
        Assert.Equal("pype:c", options.RedisChannel);
        Assert.Equal(259_200, options.SessionTtl);
    }

    [Theory]
    [InlineData("AYON_HTTP_LISTEN_PORT", "fifty")]
    [InlineData("AYON_HTTP_LISTEN_PORT", "70000")]
    [InlineData("AYON_SESSION_TTL", "0")]
    [InlineData("AYON_OPENAPI_REQUIRE_AUTHENTICATION", "maybe")]
    [InlineData("AYON_POSTGRES_URL", "mysql://db/x")]
    [InlineData("AYON_POSTGRES_URL", "postgres://host")]
    [InlineData("AYON_REDIS_URL", "http://redis")]
    [InlineData("AYON_REDIS_URL", "redis://host/zero")]
    [InlineData("AYON_LOG_LEVEL", "LOUD")]
    [InlineData("AYON_ADDON_EXPORT_TIMEOUT", "0")]
    [InlineData("AYON_ADDON_HOST_CALL_TIMEOUT", "0")]
    [InlineData("AYON_ADDON_HOST_CALL_TIMEOUT", "ten")]
    [InlineData("AYON_ADDON_HOST_MEMORY_LIMIT", "lots")]
    [InlineData("AYON_ADDON_MAX_PACKAGE_SIZE", "-1")]
    [InlineData("AYON_ADDON_MAX_PACKAGE_SIZE", "2GB")]
    [InlineData("AYON_ADDON_MAX_ENTRIES", "0")]
    [InlineData("AYON_ADDON_MAX_UNPACKED_SIZE", "0")]
    [InlineData("AYON_ADDON_HOST_PYTHON", "")]
    public void a_bad_value_stops_the_server_naming_the_variable(string variable, string value)
    {
        var error = Assert.Throws<ConfigurationError>(() => TestEnvironment.Options((variable, value)));

        Assert.StartsWith(variable + ":", error.Message);
    }

    [Fact]
    public void the_error_never_quotes_a_secret_url()
    {
        var error = Assert.Throws<ConfigurationError>(() => TestEnvironment.Options(("AYON_POSTGRES_URL", "mysql://user:hunter2@db/x")));

        Assert.DoesNotContain("hunter2", error.Message);
    }

    [Fact]
    public void ayon_postgres_urls_become_npgsql_connection_strings()
    {
        var options = TestEnvironment.Options(("AYON_POSTGRES_URL", "postgres://ayon:p%40ss@db.example:6543/studio?sslmode=require"), ("AYON_POSTGRES_POOL_SIZE", "12"));

        var builder = new NpgsqlConnectionStringBuilder(options.PostgresConnectionString());

        Assert.Equal("db.example", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("ayon", builder.Username);
        Assert.Equal("p@ss", builder.Password);
        Assert.Equal("studio", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal(12, builder.MaxPoolSize);
    }

    [Fact]
    public void ayon_redis_urls_become_redis_configuration()
    {
        var options = TestEnvironment.Options(("AYON_REDIS_URL", "redis://:secret@cache:6380/3"));

        var redis = options.RedisConfiguration();

        Assert.Equal("cache:6380", redis.EndPoints.Single().ToString()!.Replace("Unspecified/", "", StringComparison.Ordinal));
        Assert.Equal("secret", redis.Password);
        Assert.Equal(3, redis.DefaultDatabase);
    }

    [Fact]
    public void the_configuration_table_lists_every_variable_and_no_secret_default()
    {
        var table = ConfigurationTable.Markdown();

        foreach (var (_, setting) in AyonOptions.Settings)
            Assert.Contains($"`{setting.Variable}`", table);
        Assert.DoesNotContain("supersecretpasswordpepper", table);
    }

    [Fact]
    public void the_readmes_configuration_table_is_the_generated_one()
    {
        var readme = File.ReadAllLines(Path.Combine(Repository.Root, "README.md"));
        var start = Array.FindIndex(readme, line => line.StartsWith("| variable | default | description |", StringComparison.Ordinal));
        Assert.True(start >= 0, "README.md has no configuration table");
        var table = readme.Skip(start).TakeWhile(line => line.StartsWith('|'));

        Assert.Equal(ConfigurationTable.Markdown().TrimEnd('\n').Split('\n'), table);
    }

    [Fact]
    public void the_servers_idle_thread_pool_workers_do_not_spin()
    {
        // The server's runtimeconfig.json, copied next to the tests from the project they reference.
        using var config = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Anvil.Server.runtimeconfig.json")));
        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.Equal(0, properties.GetProperty("System.Threading.ThreadPool.UnfairSemaphoreSpinLimit").GetInt32());
    }
}
