using System.Text;
using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.GraphQL;

/// <summary>
/// Every GraphQL operation the AYON web UI sends (GraphQL/web-ui-operations.json: names, variables and
/// selected fields, fragments expanded) validates against Anvil's schema and answers on a seeded
/// project with its root fields present. The operations Anvil cannot answer yet are listed in
/// <see cref="NotYetAnswered"/>: each of them must still fail, so the list only ever shrinks.
/// </summary>
public sealed class web_ui_operations(web_ui_operations.SeededProject seeded) : IClassFixture<web_ui_operations.SeededProject>
{
    /// <summary>Operations known to fail validation on Anvil today, with the gap that fails them.</summary>
    static readonly Dictionary<string, string> NotYetAnswered = new()
    {
        // Every operation of the web UI answers: an operation that stops answering is a regression, not a gap to list here.
    };

    public sealed class SeededProject : AnvilApp
    {
        public string Project { get; private set; } = "";
        public Dictionary<string, string> Ids { get; } = [];

        public override async Task InitializeAsync()
        {
            await base.InitializeAsync();
            Project = await TestProjects.CreateAsync(this);
            var build = new EntityBuilder(Service(), Project);
            Ids["folder"] = await build.FolderAsync();
            Ids["task"] = await build.TaskAsync(Ids["folder"]);
            Ids["product"] = await build.ProductAsync(Ids["folder"]);
            Ids["version"] = await build.VersionAsync(Ids["product"]);
            Ids["representation"] = await build.RepresentationAsync(Ids["version"]);
            Ids["workfile"] = await build.WorkfileAsync(Ids["task"]);
        }
    }

    static readonly JsonArray Operations = LoadOperations();

    static JsonArray LoadOperations()
    {
        using var stream = typeof(web_ui_operations).Assembly.GetManifestResourceStream("web-ui-operations.json")!;
        return JsonNode.Parse(stream)!["operations"]!.AsArray();
    }

    public static TheoryData<string> OperationNames() => [.. Operations.Select(o => o!["name"]!.GetValue<string>())];

    [Theory]
    [MemberData(nameof(OperationNames))]
    public async Task the_web_ui_operation_validates_and_answers_on_a_seeded_project(string name)
    {
        var operation = Operations.Single(o => o!["name"]!.GetValue<string>() == name)!.AsObject();
        var result = await seeded.Service().GraphQLAsync(QueryText(operation), Variables(name, operation));

        if (NotYetAnswered.ContainsKey(name))
        {
            Assert.True(result["errors"] is not null, $"{name} answers now: remove it from NotYetAnswered");
            return;
        }
        Assert.True(result["errors"] is null, $"{name}: {result["errors"]?.ToJsonString()}");
        var data = result["data"]!.AsObject();
        foreach (var (key, _) in operation["select"]!.AsObject())
        {
            var field = key.Contains(':') ? key.Split(':')[0].Trim() : key;
            Assert.True(data.ContainsKey(field), $"{name}: no '{field}' in {data.ToJsonString()}");
            if (field == "project")
                Assert.NotNull(data[field]);
        }
    }

    [Fact]
    public void the_list_of_operations_not_yet_answered_names_only_operations_the_web_ui_sends()
    {
        var names = Operations.Select(o => o!["name"]!.GetValue<string>()).ToHashSet();
        foreach (var listed in NotYetAnswered.Keys)
            Assert.Contains(listed, names);
    }

    /// <summary>The operation as GraphQL text, rebuilt from its recorded selection.</summary>
    static string QueryText(JsonObject operation)
    {
        var text = new StringBuilder();
        text.Append(operation["operation"]!.GetValue<string>()).Append(' ').Append(operation["operationName"]!.GetValue<string>());
        var variables = operation["variables"]!.AsObject();
        if (variables.Count > 0)
            text.Append('(').AppendJoin(", ", variables.Select(v => $"${v.Key}: {v.Value!.GetValue<string>()}")).Append(')');
        AppendSelection(text, operation["select"]!.AsObject());
        return text.ToString();
    }

    static void AppendSelection(StringBuilder text, JsonObject selection)
    {
        text.Append(" {");
        foreach (var (key, node) in selection)
        {
            text.Append(' ').Append(key);
            if (node?["args"] is JsonObject args)
                text.Append('(').AppendJoin(", ", args.Select(a => $"{a.Key}: {a.Value!.GetValue<string>()}")).Append(')');
            if (node?["directives"] is JsonArray directives)
                text.Append(' ').AppendJoin(" ", directives.Select(d => d!.GetValue<string>()));
            if (node?["select"] is JsonObject inner)
                AppendSelection(text, inner);
        }
        text.Append(" }");
    }

    /// <summary>Values for the variables the operation declares: the seeded project and its entities, or a neutral value.</summary>
    Dictionary<string, object?> Variables(string name, JsonObject operation)
    {
        var ownType = new[] { "Folder", "Task", "Product", "Version", "Representation", "Workfile" }
            .FirstOrDefault(t => name.Contains(t, StringComparison.Ordinal))?.ToLowerInvariant() ?? "task";
        var values = new Dictionary<string, object?>();
        foreach (var (variable, typeNode) in operation["variables"]!.AsObject())
        {
            var type = typeNode!.GetValue<string>();
            var list = type.StartsWith('[');
            object? value = variable switch
            {
                "projectName" => seeded.Project,
                "projects" => new[] { seeded.Project },
                "folderId" or "taskId" or "productId" or "versionId" or "representationId" or "workfileId" => seeded.Ids[variable[..^2]],
                "folderIds" or "taskIds" or "productIds" or "versionIds" => new[] { seeded.Ids[variable[..^3]] },
                "parentIds" => new[] { seeded.Ids["folder"] },
                "entityId" => seeded.Ids[ownType],
                "entityIds" or "ids" => new[] { seeded.Ids[ownType] },
                "names" => new[] { "admin" },
                "name" => "admin",
                "topics" => new[] { "entity.folder.created" },
                "listId" => EntityBuilder.NewId(),
                _ when !type.Contains('!') || type.Contains('=') => null,
                _ when list => Array.Empty<string>(),
                _ when type.StartsWith("Int") => 10,
                _ when type.StartsWith("Boolean") => false,
                _ => "",
            };
            if (value is not null)
                values[variable] = value;
        }
        return values;
    }
}
