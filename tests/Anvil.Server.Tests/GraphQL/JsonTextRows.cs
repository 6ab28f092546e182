using System.Text;
using Anvil.Server.GraphQL;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>Rows as <see cref="EntityQueries"/> reads them without attribute limits, holding JSON columns only.</summary>
static class JsonTextRows
{
    /// <summary>A row whose JSON columns hold these texts, as UTF-8 (the database's bytes).</summary>
    public static EntityNode Of(IReadOnlyDictionary<string, string> texts, long order = 1)
    {
        var names = texts.Keys.ToArray();
        return new EntityNode("p", new RowColumns(names), new object?[names.Length], order, null,
            [.. names.Select(name => Encoding.UTF8.GetBytes(texts[name]))]);
    }
}
