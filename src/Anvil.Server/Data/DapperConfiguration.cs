using System.Data;
using System.Text.Json.Nodes;
using Dapper;
using Npgsql;
using NpgsqlTypes;

namespace Anvil.Server.Data;

/// <summary>Dapper conventions: snake_case columns onto PascalCase properties, JSONB as <see cref="JsonObject"/>.</summary>
public static class DapperConfiguration
{
    static int _configured;

    public static void Apply()
    {
        if (Interlocked.Exchange(ref _configured, 1) == 1)
            return;
        DefaultTypeMap.MatchNamesWithUnderscores = true;
        SqlMapper.AddTypeHandler(new JsonNodeHandler<JsonObject>(node => node.AsObject()));
        SqlMapper.AddTypeHandler(new JsonNodeHandler<JsonArray>(node => node.AsArray()));
    }

    /// <summary>A JSON node to and from a jsonb column.</summary>
    sealed class JsonNodeHandler<T>(Func<JsonNode, T> cast) : SqlMapper.TypeHandler<T> where T : JsonNode
    {
        public override void SetValue(IDbDataParameter parameter, T? value)
        {
            ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlDbType.Jsonb;
            parameter.Value = value?.ToJsonString() ?? (object)DBNull.Value;
        }

        public override T? Parse(object value) => JsonNode.Parse((string)value) is { } node ? cast(node) : null;
    }
}
