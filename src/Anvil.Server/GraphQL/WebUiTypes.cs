using System.Text.Json.Nodes;
using GraphQL.Types;

namespace Anvil.Server.GraphQL;

/// <summary>Small shared types of AYON's schema that the web UI's queries name.</summary>
public static class WebUiTypes
{
    public static IEnumerable<IGraphType> Types()
    {
        var thumbnail = new ObjectGraphType { Name = "ThumbnailInfo", Description = "Which thumbnail an entity shows and where it comes from." };
        thumbnail.AddField(GraphTypes.Field("id", new NonNullGraphType(new StringGraphType()), c => Text(c.Source, "id")));
        thumbnail.AddField(GraphTypes.Field("relation", new StringGraphType(), c => Text(c.Source, "relation")));
        thumbnail.AddField(GraphTypes.Field("sourceEntityId", new StringGraphType(), c => Text(c.Source, "sourceEntityId")));
        thumbnail.AddField(GraphTypes.Field("sourceEntityType", new StringGraphType(), c => Text(c.Source, "sourceEntityType")));
        yield return thumbnail;

        var stats = new ObjectGraphType { Name = "ColumnStats", Description = "Statistics of one column over every row a connection's filters match." };
        stats.AddField(GraphTypes.Field("columnName", new NonNullGraphType(new StringGraphType()), c => Text(c.Source, "columnName")));
        foreach (var name in new[] { "avg", "count", "max", "min", "sum", "checkedPercentage", "notCheckedPercentage", "percentageFilled", "percentageNotFilled" })
            stats.AddField(GraphTypes.Field(name, new FloatGraphType(), c => Stat(c.Source, name) is JsonValue v && v.TryGetValue<double>(out var d) ? d : null));
        foreach (var name in new[] { "checkedCount", "notCheckedCount", "valueFilledCount", "valueNotFilledCount" })
            stats.AddField(GraphTypes.Field(name, new IntGraphType(), c => Stat(c.Source, name) is JsonValue v && v.TryGetValue<int>(out var i) ? i : null));
        stats.AddField(GraphTypes.Field("distribution", new GraphQLTypeReference("JSON"), c => Stat(c.Source, "distribution")));
        yield return stats;

        var subtask = new ObjectGraphType { Name = "SubTaskNode", Description = "A to-do item of a task (kept in the task's data.subtasks)." };
        foreach (var name in new[] { "id", "name", "label" })
            subtask.AddField(GraphTypes.Field(name, new NonNullGraphType(new StringGraphType()), c => Text(c.Source, name) ?? (name == "label" ? Text(c.Source, "name") : "")));
        subtask.AddField(GraphTypes.Field("description", new StringGraphType(), c => Text(c.Source, "description")));
        subtask.AddField(GraphTypes.Field("isDone", new NonNullGraphType(new BooleanGraphType()),
            c => (c.Source as JsonObject)?["isDone"] is JsonValue v && v.TryGetValue<bool>(out var done) && done));
        subtask.AddField(GraphTypes.Field("assignees", new NonNullGraphType(new ListGraphType(new NonNullGraphType(new StringGraphType()))),
            c => ((c.Source as JsonObject)?["assignees"] as JsonArray)?.Select(a => a?.ToString()).OfType<string>().ToList() ?? []));
        subtask.AddField(GraphTypes.Field("startDate", GraphTypes.DateTimeType, c => Date(c.Source, "startDate")));
        subtask.AddField(GraphTypes.Field("endDate", GraphTypes.DateTimeType, c => Date(c.Source, "endDate")));
        yield return subtask;

        var comment = new ObjectGraphType { Name = "EntityComment", Description = "A recent comment on an entity (none are kept yet)." };
        comment.AddField(GraphTypes.Field("activityId", new NonNullGraphType(new StringGraphType()), c => Text(c.Source, "activityId")));
        comment.AddField(GraphTypes.Field("author", new StringGraphType(), c => Text(c.Source, "author")));
        comment.AddField(GraphTypes.Field("body", new NonNullGraphType(new StringGraphType()), c => Text(c.Source, "body")));
        comment.AddField(GraphTypes.Field("createdAt", new NonNullGraphType(new StringGraphType()), c => Text(c.Source, "createdAt")));
        yield return comment;
    }

    public static readonly string[] StatsOperations =
        ["AVG", "CHECKED", "COUNT", "DISTRIBUTION", "FILLED", "MAX", "MIN", "NOT_CHECKED", "NOT_FILLED", "PERCENTAGE_CHECKED", "PERCENTAGE_FILLED",
         "PERCENTAGE_NOT_CHECKED", "PERCENTAGE_NOT_FILLED", "SUM"];

    static JsonNode? Stat(object? source, string key) => (source as JsonObject)?[key];

    static DateTime? Date(object? source, string key) =>
        DateTime.TryParse(Text(source, key), null, System.Globalization.DateTimeStyles.AdjustToUniversal, out var date) ? date : null;

    static string? Text(object? source, string key) =>
        (source as JsonObject)?[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;
}

/// <summary>AYON's statistics of a column.</summary>
public sealed class StatsOperationType : EnumerationGraphType
{
    public StatsOperationType()
    {
        Name = "StatsOperation";
        foreach (var value in WebUiTypes.StatsOperations)
            Add(value, value);
    }
}

/// <summary>A column and the statistics wanted of it (<c>calculateSpecificStatistics</c>).</summary>
public sealed class MetricTargetInputType : InputObjectGraphType
{
    public MetricTargetInputType()
    {
        Name = "MetricTargetInput";
        Field<NonNullGraphType<StringGraphType>>("field");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StatsOperationType>>>>("aggregations");
    }
}

/// <summary>Rows whose attribute <c>name</c> has one of <c>values</c>.</summary>
public sealed class AttributeFilterInputType : InputObjectGraphType
{
    public AttributeFilterInputType()
    {
        Name = "AttributeFilterInput";
        Field<NonNullGraphType<StringGraphType>>("name");
        Field<NonNullGraphType<ListGraphType<NonNullGraphType<StringGraphType>>>>("values");
    }
}
