using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using Npgsql;
using StackExchange.Redis;

namespace Anvil.Server.Hosting;

/// <summary>Marks a property of <see cref="AyonOptions"/> as read from the environment variable <c>AYON_{Name}</c>.</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingAttribute(string name, string description) : Attribute
{
    public string Variable { get; } = "AYON_" + name;
    public string Description { get; } = description;

    /// <summary>A secret's value is never printed, logged or returned.</summary>
    public bool Secret { get; init; }
}

/// <summary>Who may read the metrics (<see cref="AyonOptions.Metrics"/>).</summary>
public enum MetricsAccess { Off, Protected, Public }

/// <summary>A configuration value that cannot be used; the message names the variable.</summary>
public sealed class ConfigurationError(string message) : Exception(message);

/// <summary>
/// Every setting of the server, under AYON's environment variable names. Each has a default and a
/// description (the README's configuration table is printed from them by <c>anvil config</c>).
/// A class, not a record: a record's generated ToString would print the secrets.
/// </summary>
public sealed class AyonOptions
{
    [Setting("POSTGRES_URL", "PostgreSQL connection URL, `postgres://user:password@host:port/database` (query parameters such as `sslmode` are passed through).", Secret = true)]
    public string PostgresUrl { get; init; } = "postgres://ayon:ayon@localhost:5432/ayon";

    [Setting("POSTGRES_POOL_SIZE", "Largest number of PostgreSQL connections one server process holds.")]
    [Range(1, 10_000)]
    public int PostgresPoolSize { get; init; } = 64;

    [Setting("REDIS_URL", "Redis connection URL, `redis://[:password@]host:port[/db]` (`rediss://` for TLS).", Secret = true)]
    public string RedisUrl { get; init; } = "redis://localhost:6379/";

    [Setting("REDIS_TIMEOUT", "Seconds a Redis command or connection attempt may take before the request answers 503 (Anvil). While Redis is known to be down, requests that need it answer 503 at once.")]
    [Range(1, 60)]
    public int RedisTimeout { get; init; } = 2;

    [Setting("REDIS_CHANNEL", "Redis pub/sub channel that carries events between server instances.")]
    [MinLength(1)]
    public string RedisChannel { get; init; } = "pype:c";

    [Setting("REDIS_KEY_PREFIX", "Prefix of every Redis key the server writes, so several servers can share one Redis.")]
    public string RedisKeyPrefix { get; init; } = "anvil:";

    [Setting("HTTP_LISTEN_ADDRESS", "Address the HTTP server binds to.")]
    [MinLength(1)]
    public string HttpListenAddress { get; init; } = "0.0.0.0";

    [Setting("HTTP_LISTEN_PORT", "Port the HTTP server listens on.")]
    [Range(1, 65535)]
    public int HttpListenPort { get; init; } = 5000;

    [Setting("SESSION_TTL", "Seconds of inactivity after which a login session expires; every request slides it.")]
    [Range(1, 31_536_000)]
    public int SessionTtl { get; init; } = 259_200;

    [Setting("CACHE_TTL", "Longest time, in seconds, an instance keeps API keys, users, sessions and project contexts it has read (Anvil). Every change through the API drops them on every instance at once; this bounds changes written into the database behind the server's back. 0: no caching.")]
    [Range(0, 86_400)]
    public int CacheTtl { get; init; } = 300;

    [Setting("AUTH_PASS_PEPPER", "Server-wide secret mixed into API-key hashes (and AYON's legacy password hashes). Keep it equal to the AYON server's when migrating its database.", Secret = true)]
    [MinLength(1)]
    public string AuthPassPepper { get; init; } = "supersecretpasswordpepper";

    [Setting("SECRETS_KEY", "Key that encrypts the secrets at rest (Anvil): 32 random bytes in base64 (`openssl rand -base64 32`), the same on every instance. Unset: secrets cannot be written or read. `./anvil up` makes one in `.anvil/secrets.env`. See docs/services.md for rotating it.", Secret = true)]
    public string? SecretsKey { get; init; }

    [Setting("SECRETS_PREVIOUS_KEYS", "Keys secrets may still be sealed with while they are rotated to `AYON_SECRETS_KEY` (Anvil): base64 keys separated by commas; read, never written with.", Secret = true)]
    public string? SecretsPreviousKeys { get; init; }

    [Setting("PASSWORD_HASH_ITERATIONS", "PBKDF2-SHA256 iterations for new password hashes (Anvil). Stored with each hash, so raising it later keeps old passwords valid.")]
    [Range(1_000, 100_000_000)]
    public int PasswordHashIterations { get; init; } = 600_000;

    [Setting("AUTH_PASS_MIN_LENGTH", "Shortest password a user may choose for themselves (passwords set by a manager or admin are not checked).")]
    [Range(1, 1024)]
    public int AuthPassMinLength { get; init; } = 8;

    [Setting("AUTH_PASS_COMPLEX", "Whether a password a user chooses for themselves must contain letters, digits and one of `.-!@#$%^&*()_+`.")]
    public bool AuthPassComplex { get; init; } = true;

    [Setting("MAX_FAILED_LOGIN_ATTEMPTS", "Failed logins allowed for one user from one address within the ban time before further tries answer 429.")]
    [Range(1, 1_000_000)]
    public int MaxFailedLoginAttempts { get; init; } = 10;

    [Setting("FAILED_LOGIN_BAN_TIME", "Seconds over which failed logins are counted, and for which a throttled user and address must wait.")]
    [Range(1, 86_400)]
    public int FailedLoginBanTime { get; init; } = 600;

    [Setting("API_KEY_RATE_LIMIT", "Requests one API key may make per rate window, counted across all instances (Anvil); more answer 429 with `Retry-After`. A key's own `rateLimit` replaces it; keys of service users are unlimited unless they have one. 0: unlimited.")]
    [Range(0, 100_000_000)]
    public int ApiKeyRateLimit { get; init; } = 1200;

    [Setting("API_KEY_RATE_WINDOW", "Seconds over which API-key rate limits count (Anvil). A key may spend its whole limit at once, then regains one request every window/limit seconds.")]
    [Range(1, 86_400)]
    public int ApiKeyRateWindow { get; init; } = 60;

    [Setting("OPENAPI_REQUIRE_AUTHENTICATION", "Whether `/openapi.json` and `/docs` need a logged-in user.")]
    public bool OpenApiRequireAuthentication { get; init; } = true;

    [Setting("GRAPHQL_MAX_DEPTH", "Deepest GraphQL selection accepted (Anvil); deeper queries are refused before they run.")]
    [Range(2, 1000)]
    public int GraphQLMaxDepth { get; init; } = 15;

    [Setting("GRAPHQL_MAX_COMPLEXITY", "Largest estimated cost of a GraphQL query accepted (Anvil): fields times the page sizes of the connections they sit in.")]
    [Range(10, 1_000_000_000)]
    public int GraphQLMaxComplexity { get; init; } = 2_000_000;

    [Setting("GRAPHQL_MAX_FIELDS", "Most field selections (aliases included, each fragment counted once) one GraphQL query document may hold (Anvil); more answer 400 before the query is validated or run.")]
    [Range(10, 10_000_000)]
    public int GraphQLMaxFields { get; init; } = 1000;

    [Setting("MAX_JSON_BODY_SIZE", "Largest JSON request body, in bytes, the server reads (Anvil); larger ones answer 413 before any handler runs.")]
    [Range(1024L, 1L << 31)]
    public long MaxJsonBodySize { get; init; } = 32L * 1024 * 1024;

    [Setting("MAX_NAME_LENGTH", "Longest string, in characters, accepted in a JSON body under a name key (`name`, `*Name`, `productType`, `folderType`, `status`, ...) (Anvil); longer ones answer 400 naming the field.")]
    [Range(1, 1_000_000)]
    public int MaxNameLength { get; init; } = 255;

    [Setting("MAX_LABEL_LENGTH", "Longest string, in characters, accepted in a JSON body under a `label` key (Anvil); longer ones answer 400 naming the field.")]
    [Range(1, 10_000_000)]
    public int MaxLabelLength { get; init; } = 1024;

    [Setting("MAX_TEXT_LENGTH", "Longest string, in characters, accepted anywhere else in a JSON body: descriptions, attributes, data, queries (Anvil); longer ones answer 400 naming the field.")]
    [Range(1, 1_000_000_000)]
    public int MaxTextLength { get; init; } = 65_536;

    [Setting("WS_BUFFER_SIZE", "Recent event-stream messages each instance keeps in memory for its websocket clients (Anvil); a client further behind reads the stored stream from PostgreSQL until it catches up, it is never dropped for a burst.")]
    [Range(16, 10_000_000)]
    public int WebSocketBufferSize { get; init; } = 50_000;

    [Setting("LOG_LEVEL", "Least severe log level written: TRACE, DEBUG, INFO, WARNING or ERROR.")]
    [RegularExpression("^(?i)(TRACE|DEBUG|INFO|WARNING|ERROR)$")]
    public string LogLevel { get; init; } = "INFO";

    [Setting("ADDONS_DIR", "Folder where this instance unpacks the addon versions it serves or runs (Anvil: a local cache, not shared; every package lives in PostgreSQL). Unset: `anvil-addons` under the temporary folder; `./anvil up` uses `.anvil/addons`.")]
    public string? AddonsDir { get; init; }

    [Setting("ADDON_HOST_PYTHON", "Python interpreter that runs the addon host, which loads addons' server code in a separate process (Anvil).")]
    [MinLength(1)]
    public string AddonHostPython { get; init; } = "/usr/bin/python3";

    [Setting("ADDON_EXPORT_TIMEOUT", "Seconds the addon host may take to load an addon version and export its settings; after that it is killed and the version is listed as broken (Anvil).")]
    [Range(1, 3600)]
    public int AddonExportTimeout { get; init; } = 60;

    [Setting("ADDON_HOST_CALL_TIMEOUT", "Seconds one call to the live addon host may take (resolving a context-dependent enum, ...); after that the host process is killed, the call fails and the next call starts a fresh process (Anvil).")]
    [Range(1, 3600)]
    public int AddonHostCallTimeout { get; init; } = 10;

    [Setting("ADDON_ENDPOINT_TIMEOUT", "Seconds an addon endpoint or web action may take to start answering before Anvil answers 504; a host that then no longer answers is replaced (Anvil).")]
    [Range(1, 3600)]
    public int AddonEndpointTimeout { get; init; } = 30;

    [Setting("ADDON_ENDPOINT_CONCURRENCY", "Addon endpoint requests one user may have running at once on an instance; more answer 429 (Anvil).")]
    [Range(1, 10_000)]
    public int AddonEndpointConcurrency { get; init; } = 32;

    [Setting("ADDON_ENDPOINT_MAX_BODY_SIZE", "Largest request body, in bytes, Anvil forwards to an addon endpoint (an upload); larger answer 413 (Anvil).")]
    [Range(1L, 512L * 1024 * 1024)]
    public long AddonEndpointMaxBodySize { get; init; } = 512L * 1024 * 1024;

    [Setting("ADDON_HOST_API_URL", "Address the addon HTTP host calls Anvil's API at (Anvil). Unset: this instance's own listening address on loopback.")]
    public string? AddonHostApiUrl { get; init; }

    [Setting("ADDON_HOST_MEMORY_LIMIT", "Address space, in MiB, the addon host process may use (Anvil); an addon that needs more is listed as broken.")]
    [Range(64, 1_048_576)]
    public int AddonHostMemoryLimit { get; init; } = 1024;

    [Setting("ADDON_MAX_PACKAGE_SIZE", "Largest addon zip, in bytes, accepted by `POST /api/addons/install` (uploaded or downloaded).")]
    [Range(1L, long.MaxValue)]
    public long AddonMaxPackageSize { get; init; } = 2L * 1024 * 1024 * 1024;

    [Setting("ADDON_MAX_ENTRIES", "Most entries an addon zip may hold (a zip-bomb guard).")]
    [Range(1, 100_000_000)]
    public int AddonMaxEntries { get; init; } = 100_000;

    [Setting("ADDON_MAX_UNPACKED_SIZE", "Most bytes an addon zip may unpack to (a zip-bomb guard).")]
    [Range(1L, long.MaxValue)]
    public long AddonMaxUnpackedSize { get; init; } = 8L * 1024 * 1024 * 1024;

    [Setting("FRONTEND_DIR", "Folder holding a build of the AYON web UI (its `index.html` and assets), served at `/` after every API route, as AYON does. A studio builds it from the web UI's own source; Anvil ships none. A missing folder: Anvil's own landing page at `/`.")]
    public string FrontendDir { get; init; } = "/frontend";

    [Setting("STATIC_DIR", "Folder served at `/static` (the web UI's customisation files, e.g. `customization/` login background and logo). Unset or missing: `/static` answers 404 (Anvil).")]
    public string? StaticDir { get; init; }

    [Setting("METRICS", "Who may read the Prometheus metrics at `/metrics` and `/api/metrics/system` (Anvil): `off` (no such routes), `protected` (a logged-in admin, or `AYON_METRICS_API_KEY`) or `public`.")]
    [RegularExpression("^(?i)(off|protected|public)$")]
    public string Metrics { get; init; } = "protected";

    [Setting("METRICS_API_KEY", "Key that reads the metrics when `AYON_METRICS=protected`, sent as `Authorization: Bearer <key>`, `Authorization: ApiKey <key>` or `X-Api-Key` (for Prometheus' scraper).", Secret = true)]
    public string? MetricsApiKey { get; init; }

    public MetricsAccess MetricsAccess => Metrics.ToLowerInvariant() switch
    {
        "off" => MetricsAccess.Off,
        "public" => MetricsAccess.Public,
        _ => MetricsAccess.Protected,
    };

    /// <summary>The addon materialisation folder, <see cref="AddonsDir"/> or its default.</summary>
    public string AddonsDirectory => string.IsNullOrEmpty(AddonsDir) ? Path.Combine(Path.GetTempPath(), "anvil-addons") : Path.GetFullPath(AddonsDir);

    [Setting("ADMIN_PASSWORD", "Setup: the password of the `admin` user. Unset: a password is generated and printed once, when the admin is first created.", Secret = true)]
    public string? AdminPassword { get; init; }

    [Setting("SERVICE_API_KEY", "Setup: when set, a service user `service` (admin power) exists with this API key.", Secret = true)]
    public string? ServiceApiKey { get; init; }

    /// <summary>Reads every setting from configuration keys named like the environment variables.</summary>
    public static AyonOptions Load(IConfiguration configuration)
    {
        var options = new AyonOptions();
        foreach (var (property, setting) in Settings)
        {
            var raw = configuration[setting.Variable];
            if (raw is null)
                continue;
            property.SetValue(options, Parse(property.PropertyType, raw, setting.Variable));
        }
        options.Validate();
        return options;
    }

    public static IEnumerable<(PropertyInfo Property, SettingAttribute Setting)> Settings =>
        typeof(AyonOptions).GetProperties()
            .Select(p => (p, p.GetCustomAttribute<SettingAttribute>()!))
            .Where(x => x.Item2 is not null);

    void Validate()
    {
        foreach (var (property, setting) in Settings)
        {
            var context = new ValidationContext(this) { MemberName = property.Name };
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateProperty(property.GetValue(this), context, results))
                throw new ConfigurationError($"{setting.Variable}: {results[0].ErrorMessage}");
        }
        Check("AYON_POSTGRES_URL", () => PostgresConnectionString());
        Check("AYON_REDIS_URL", () => RedisConfiguration());
        Check("AYON_SECRETS_KEY", () => SecretKeyBytes(SecretsKey));
        foreach (var key in PreviousSecretKeys())
            Check("AYON_SECRETS_PREVIOUS_KEYS", () => SecretKeyBytes(key));
    }

    /// <summary>The previous secrets keys, as written (base64).</summary>
    public IReadOnlyList<string> PreviousSecretKeys() =>
        (SecretsPreviousKeys ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>A secrets key as its 32 bytes; null for none. The message never quotes the key.</summary>
    public static byte[]? SecretKeyBytes(string? key)
    {
        if (string.IsNullOrWhiteSpace(key))
            return null;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(key.Trim());
        }
        catch (FormatException)
        {
            throw new FormatException("a secrets key must be base64 (openssl rand -base64 32)");
        }
        return bytes.Length == 32 ? bytes : throw new FormatException($"a secrets key must be 32 bytes, this one is {bytes.Length}");
    }

    static void Check(string variable, Action parse)
    {
        try { parse(); }
        catch (Exception e) when (e is FormatException or ArgumentException or UriFormatException or KeyNotFoundException)
        {
            throw new ConfigurationError($"{variable}: {e.Message}");
        }
    }

    static object? Parse(Type type, string raw, string variable)
    {
        var target = Nullable.GetUnderlyingType(type) ?? type;
        if (target == typeof(string))
            return raw;
        if (target == typeof(int))
            return int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number)
                ? number
                : throw new ConfigurationError($"{variable}: '{raw}' is not a whole number");
        if (target == typeof(long))
            return long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var large)
                ? large
                : throw new ConfigurationError($"{variable}: '{raw}' is not a whole number");
        if (target == typeof(bool))
            return Flags.Parse(raw) ?? throw new ConfigurationError($"{variable}: '{raw}' is not a boolean (true or false)");
        throw new InvalidOperationException($"Setting type {type} is not supported");
    }

    /// <summary>This instance's own name, new at each start: its database sessions' <c>application_name</c> is <c>anvil-</c> and it.</summary>
    public string InstanceId { get; } = Guid.NewGuid().ToString("N")[..16];

    /// <summary>AYON's <c>postgres://user:pw@host:port/db?opt=v</c> as an Npgsql connection string.</summary>
    public string PostgresConnectionString()
    {
        var uri = new Uri(PostgresUrl);
        if (uri.Scheme is not ("postgres" or "postgresql"))
            throw new FormatException($"expected a postgres:// URL, got scheme '{uri.Scheme}'");
        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port,
            Database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/')),
            MaxPoolSize = PostgresPoolSize,
            // Names the instance: what it writes to the outbox carries it (event_stream.origin, migration 0017).
            ApplicationName = "anvil-" + InstanceId,
            // Statements run twice are prepared on their connection: the server then skips parsing and
            // planning them (a folder's SELECT plans longer than it runs). Prepared statements survive
            // the connection's return to the pool, and PostgreSQL re-plans one when the search path
            // (the project) differs. The URL's query may override both.
            MaxAutoPrepare = 256,
            AutoPrepareMinUsages = 2,
            // A connection taken from the pool is not reset (seven statements PostgreSQL ran before the
            // next command, about 0.1-0.2 ms of its CPU each time): the server leaves no session state on a
            // pooled connection (Db.OpenAsync says how), and an open transaction is rolled back on return
            // either way.
            NoResetOnClose = true,
        };
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo[0].Length > 0)
            builder.Username = Uri.UnescapeDataString(userInfo[0]);
        if (userInfo.Length == 2)
            builder.Password = Uri.UnescapeDataString(userInfo[1]);
        if (string.IsNullOrEmpty(builder.Database))
            throw new FormatException("the URL names no database");
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            builder[Uri.UnescapeDataString(parts[0])] = parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : "";
        }
        return builder.ConnectionString;
    }

    /// <summary>AYON's <c>redis://[:pw@]host:port[/db]</c> as StackExchange.Redis configuration.</summary>
    public ConfigurationOptions RedisConfiguration()
    {
        var uri = new Uri(RedisUrl);
        if (uri.Scheme is not ("redis" or "rediss"))
            throw new FormatException($"expected a redis:// URL, got scheme '{uri.Scheme}'");
        var options = new ConfigurationOptions
        {
            Ssl = uri.Scheme == "rediss",
            AbortOnConnectFail = false,
            ClientName = "anvil",
            // While Redis is known to be down a command fails at once (a 503), instead of waiting in a
            // backlog for the command timeout; the connection comes back by itself.
            BacklogPolicy = BacklogPolicy.FailFast,
            ConnectTimeout = RedisTimeout * 1000,
            AsyncTimeout = RedisTimeout * 1000,
            SyncTimeout = RedisTimeout * 1000,
        };
        options.EndPoints.Add(uri.Host, uri.IsDefaultPort || uri.Port <= 0 ? 6379 : uri.Port);
        var userInfo = uri.UserInfo.Split(':', 2);
        if (userInfo.Length == 2)
        {
            if (userInfo[0].Length > 0)
                options.User = Uri.UnescapeDataString(userInfo[0]);
            options.Password = Uri.UnescapeDataString(userInfo[1]);
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
            options.DefaultDatabase = int.TryParse(path, CultureInfo.InvariantCulture, out var db)
                ? db
                : throw new FormatException($"'{path}' is not a Redis database number");
        return options;
    }

    public Microsoft.Extensions.Logging.LogLevel MinimumLogLevel => LogLevel.ToUpperInvariant() switch
    {
        "TRACE" => Microsoft.Extensions.Logging.LogLevel.Trace,
        "DEBUG" => Microsoft.Extensions.Logging.LogLevel.Debug,
        "WARNING" => Microsoft.Extensions.Logging.LogLevel.Warning,
        "ERROR" => Microsoft.Extensions.Logging.LogLevel.Error,
        _ => Microsoft.Extensions.Logging.LogLevel.Information,
    };
}
