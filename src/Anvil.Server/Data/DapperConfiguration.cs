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
        SqlMapper.AddTypeHandler(new JsonObjectHandler());
        SqlMapper.AddTypeHandler(new JsonArrayHandler());
    }

    sealed class JsonObjectHandler : SqlMapper.TypeHandler<JsonObject>
    {
        public override void SetValue(IDbDataParameter parameter, JsonObject? value)
        {
            ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlDbType.Jsonb;
            parameter.Value = value?.ToJsonString() ?? (object)DBNull.Value;
        }

        public override JsonObject? Parse(object value) => JsonNode.Parse((string)value)?.AsObject();
    }

    sealed class JsonArrayHandler : SqlMapper.TypeHandler<JsonArray>
    {
        public override void SetValue(IDbDataParameter parameter, JsonArray? value)
        {
            ((NpgsqlParameter)parameter).NpgsqlDbType = NpgsqlDbType.Jsonb;
            parameter.Value = value?.ToJsonString() ?? (object)DBNull.Value;
        }

        public override JsonArray? Parse(object value) => JsonNode.Parse((string)value)?.AsArray();
    }
}
