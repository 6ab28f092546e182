using System.Text.Json.Nodes;
using Anvil.Server.Entities;
using Anvil.Server.Hosting;

namespace Anvil.Server.Features.Versions;

/// <summary>One publish of a product. A negative number is the product's hero version.</summary>
public static class VersionEntity
{
    /// <summary>True for the highest non-hero version of its product.</summary>
    public const string IsLatestCondition = "e.version >= 0 AND e.version = (SELECT max(l.version) FROM versions l WHERE l.product_id = e.product_id AND l.version >= 0)";

    /// <summary>
    /// The id of a product's featured version: the first of <paramref name="order"/> it has (<c>hero</c>,
    /// <c>latestDone</c>: the newest in a status whose state is done, <c>latest</c>), as AYON picks the
    /// version the web UI shows for a product. <paramref name="productId"/> is the product's id expression.
    /// </summary>
    public static string FeaturedVersion(IEnumerable<string> order, string productId)
    {
        var candidates = order.Select(kind => kind switch
        {
            "hero" => $"(SELECT c.id FROM versions c WHERE c.product_id = {productId} AND c.version < 0 ORDER BY c.creation_order LIMIT 1)",
            "latestDone" => $"""
                (SELECT c.id FROM versions c JOIN statuses s ON s.name = c.status
                 WHERE c.product_id = {productId} AND c.version >= 0 AND s.data->>'state' = 'done' ORDER BY c.version DESC LIMIT 1)
                """,
            "latest" => $"(SELECT c.id FROM versions c WHERE c.product_id = {productId} AND c.version >= 0 ORDER BY c.version DESC LIMIT 1)",
            _ => throw new BadRequest($"featuredOnly: '{kind}' is not one of hero, latestDone, latest"),
        }).ToList();
        return candidates.Count == 0 ? "NULL" : $"COALESCE({string.Join(", ", candidates)})";
    }

    /// <summary>
    /// The creation order of every product's featured version, in one pass (see <see cref="FeaturedVersion"/>): each version
    /// ranks by the first kind of <paramref name="order"/> it qualifies for, the newest first within a kind; a product's
    /// smallest (rank, -version) wins. One hash aggregate over the versions: no sort of the whole table.
    /// </summary>
    public static string FeaturedVersions(List<string> order)
    {
        string Rank(string kind) => order.IndexOf(kind) is var i and >= 0 ? $"{i}::bigint" : "NULL::bigint";
        foreach (var kind in order)
            if (kind is not ("hero" or "latestDone" or "latest"))
                throw new BadRequest($"featuredOnly: '{kind}' is not one of hero, latestDone, latest");
        var rank = $"""
            least(CASE WHEN c.version < 0 THEN {Rank("hero")} END,
                  CASE WHEN c.version >= 0 AND c.status IN (SELECT s.name FROM statuses s WHERE s.data->>'state' = 'done') THEN {Rank("latestDone")} END,
                  CASE WHEN c.version >= 0 THEN {Rank("latest")} END)
            """;
        return $"""
            SELECT (min(ARRAY[{rank}, -c.version, c.creation_order]) FILTER (WHERE {rank} IS NOT NULL))[3]
            FROM versions c GROUP BY c.product_id
            """;
    }

    static readonly EntityField VersionField = new("version", "version", FieldKind.Integer) { Required = true };

    /// <summary>
    /// A version's name as its <c>name</c> column computes it: <c>HERO</c>, or the number padded to three
    /// digits — and, as <c>lpad</c> does, cut to three.
    /// </summary>
    public static string Name(int version)
    {
        if (version < 0)
            return "HERO";
        var digits = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "v" + (digits.Length > 3 ? digits[..3] : digits.PadLeft(3, '0'));
    }

    public static EntityDefinition Definition { get; } = new()
    {
        Type = "version",
        Plural = "versions",
        Fields =
        [
            VersionField,
            new("productId", "product_id", FieldKind.Id) { Required = true },
            new("taskId", "task_id", FieldKind.Id) { Nullable = true },
            new("thumbnailId", "thumbnail_id", FieldKind.Id) { Nullable = true },
            new("author", "author", FieldKind.Text) { Nullable = true },
        ],
        ParentField = new("productId", "product_id", FieldKind.Id),
        ParentType = "product",
        PathUnderParent = (product, values) => $"{product}/{Name((int)VersionField.ToColumn(values["version"]))}",
        DuplicateMessage = "The product already has this version (or already has a hero version)",
        Rules = new VersionRules(),
        FolderPath = "f.path",
        Columns =
        [
            new("id", "e.id"), new("version", "e.version"),
            new("name", "CASE WHEN e.version < 0 THEN 'HERO' ELSE 'v' || lpad(e.version::text, 3, '0') END"),
            new("productId", "e.product_id"), new("taskId", "e.task_id"), new("thumbnailId", "e.thumbnail_id"),
            new("author", "e.author"), new("status", "e.status"), new("tags", "e.tags"), new("active", "e.active"), new("data", "e.data"),
            new("attrib", "e.attrib"), new("ownAttrib", "e.attrib"),
            new("path", "'/' || f.path || '/' || p.name || '/' || CASE WHEN e.version < 0 THEN 'HERO' ELSE 'v' || lpad(e.version::text, 3, '0') END"),
            new("parents", "string_to_array(f.path, '/') || p.name"),
            new("createdBy", "e.created_by"), new("updatedBy", "e.updated_by"),
            new("createdAt", "e.created_at"), new("updatedAt", "e.updated_at"),
        ],
        From = """
            FROM versions e
            JOIN products p ON p.id = e.product_id
            JOIN folders f ON f.id = p.folder_id
            """,
        GraphColumns =
        [
            new("heroVersionId", "(SELECT h.id FROM versions h WHERE h.product_id = e.product_id AND h.version < 0 ORDER BY h.creation_order LIMIT 1)"),
            new("isLatest", $"({IsLatestCondition})"),
        ],
        NodeName = "VersionNode",
        NodeFields =
        [
            new("version", NodeFieldKind.Integer) { Required = true }, new("productId", NodeFieldKind.Text) { Required = true }, new("taskId", NodeFieldKind.Text),
            new("thumbnailId", NodeFieldKind.Text), new("author", NodeFieldKind.Text), new("heroVersionId", NodeFieldKind.Text),
            new("isLatest", NodeFieldKind.Boolean),
        ],
        Parents = [new("product", "product", "productId"), new("task", "task", "taskId")],
        Children = [new("representations", "representation", "e.version_id")],
        SearchColumns = ["p.name", "f.path", "e.author"],
        Filters =
        [
            EntityFilter.IdList("productIds", "e.product_id"),
            EntityFilter.IdList("taskIds", "e.task_id"),
            EntityFilter.IdList("folderIds", "p.folder_id"),
            EntityFilter.Related("productFilter", "product", "e.id", "e.product_id IN ({0})"),
            EntityFilter.Related("taskFilter", "task", "e.id", "e.task_id IN ({0})"),
            new("featuredOnly", FilterArgument.TextList, (v, _, _) => $"e.creation_order IN ({FeaturedVersions(EntityFilter.Strings(v))})"),
            // Reviewables (playable files attached through activities) are not kept yet: none has any.
            new("hasReviewables", FilterArgument.Boolean, (v, _, _) => (bool)v ? "false" : null),
            EntityFilter.TextList("authors", "e.author"),
            EntityFilter.Integer("version", "e.version = @{0}"),
            EntityFilter.IntegerList("versions", "e.version = ANY(@{0})"),
            EntityFilter.OnlyWhenTrue("heroOnly", "e.version < 0"),
            EntityFilter.OnlyWhenTrue("latestOnly", IsLatestCondition),
            EntityFilter.OnlyWhenTrue("heroOrLatestOnly",
                $"(e.version < 0 OR ({IsLatestCondition} AND NOT EXISTS (SELECT FROM versions h WHERE h.product_id = e.product_id AND h.version < 0)))"),
        ],
        Sorts = new Dictionary<string, string>
        {
            ["version"] = EntitySort.Number("e.version"),
            ["author"] = "COALESCE(e.author, '')",
            ["productName"] = "p.name",
            ["folderName"] = "f.name",
            // The web UI's products page sorts versions by their product's path, then number.
            ["path"] = "f.path || '/' || p.name || '/' || " + EntitySort.Number("e.version"),
        },
    };
}

/// <summary>The author defaults to the user who publishes.</summary>
sealed class VersionRules : EntityRules
{
    public override Task PrepareAsync(WriteContext context, JsonObject values, JsonObject? previous)
    {
        if (previous is null)
            values["author"] ??= context.UserName;
        return Task.CompletedTask;
    }
}
