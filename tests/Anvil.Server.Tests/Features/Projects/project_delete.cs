using System.Text.Json.Nodes;
using Anvil.Server.Features.Auth;
using Anvil.Server.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace Anvil.Server.Tests.Features.Projects;

/// <summary>DELETE /api/projects/{name}: the schema, the row and every reference go, in one step.</summary>
public sealed class project_delete(AnvilApp app) : IClassFixture<AnvilApp>
{
    [Fact]
    public async Task deleting_a_project_leaves_no_schema_no_rows_and_no_access_entries()
    {
        var api = app.Service();
        var name = Unique.Name("Delete");
        var member = Unique.Name("member");
        await app.Services.GetRequiredService<UserStore>().UpsertAsync(member, new JsonObject { ["defaultAccessGroups"] = new JsonArray("artist") });
        await api.PostAsync("/api/projects", new { name, code = name }, expect: 201);
        await app.InsertHierarchyAsync(name, "Shot", "Compositing", "Approved", "important");
        var assigned = await app.Services.GetRequiredService<UserStore>().GetAsync(member);
        Assert.NotNull(assigned!.Data["accessGroups"]![name]);

        await api.DeleteAsync($"/api/projects/{name.ToUpperInvariant()}", expect: 204);

        await api.GetAsync($"/api/projects/{name}", expect: 404);
        Assert.Equal(0L, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM pg_namespace WHERE nspname = @schema", new { schema = "project_" + name.ToLowerInvariant() }));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM information_schema.tables WHERE table_schema = @schema", new { schema = "project_" + name.ToLowerInvariant() }));
        Assert.Equal(0L, await Sql.ScalarAsync<long>(app, "SELECT count(*) FROM projects WHERE lower(name) = lower(@name)", new { name }));
        var user = await app.Services.GetRequiredService<UserStore>().GetAsync(member);
        Assert.Null(user!.Data["accessGroups"]![name]);
        await api.DeleteAsync($"/api/projects/{name}", expect: 404);
    }

    [Fact]
    public async Task a_deleted_name_can_be_deployed_again_from_scratch()
    {
        var api = app.Service();
        var name = Unique.Name("Again");
        await api.PostAsync("/api/projects", new { name, code = name }, expect: 201);
        await app.InsertHierarchyAsync(name, "Shot", "Compositing", "Approved", "important");
        await api.DeleteAsync($"/api/projects/{name}", expect: 204);

        await api.PostAsync("/api/projects", new { name, code = name }, expect: 201);

        Assert.Equal("0", await app.ProjectScalarAsync(name, "SELECT count(*) FROM folders"));
    }
}
