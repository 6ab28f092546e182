using System.Collections.Concurrent;
using GraphQL;
using GraphQL.Execution;
using GraphQLParser.AST;
using ExecutionContext = GraphQL.Execution.ExecutionContext;

namespace Anvil.Server.GraphQL;

/// <summary>
/// Parsed query documents by query text. Clients send the same few queries over and over (the
/// official client's, the web UI's), so each is parsed once, not once per request; the document
/// is read-only once parsed, so requests share it. Bounded: past the limit the cache starts over.
/// </summary>
public sealed class QueryDocuments
{
    const int Limit = 1000;
    static readonly GraphQLDocumentBuilder Builder = new();
    readonly ConcurrentDictionary<string, GraphQLDocument> _documents = new(StringComparer.Ordinal);

    /// <summary>
    /// The document of <paramref name="query"/>, once <paramref name="check"/> (which throws to refuse it)
    /// accepted it; null when it does not parse (execution then answers the syntax error).
    /// </summary>
    public GraphQLDocument? Get(string query, Action<GraphQLDocument> check)
    {
        if (_documents.TryGetValue(query, out var known))
            return known;
        GraphQLDocument document;
        try
        {
            document = Builder.Build(query);
        }
        catch (SyntaxError)
        {
            return null;
        }
        check(document);
        if (_documents.Count >= Limit)
            _documents.Clear();
        _documents[query] = document;
        return document;
    }
}

/// <summary>
/// GraphQL.NET's executer with Anvil's query strategy (<see cref="RenderingExecutionStrategy"/>) and its
/// validation run in full once per document (<see cref="ValidatedDocuments"/>).
/// </summary>
public sealed class AnvilDocumentExecuter() : DocumentExecuter(new GraphQLDocumentBuilder(), new ValidatedDocuments())
{
    protected override IExecutionStrategy SelectExecutionStrategy(ExecutionContext context) =>
        context.Operation.Operation == OperationType.Query ? RenderingExecutionStrategy.Instance : base.SelectExecutionStrategy(context);
}
