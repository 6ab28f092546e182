using System.Text.Json.Nodes;
using Anvil.Server.Tests.Infrastructure;

namespace Anvil.Server.Tests.Features.Access;

/// <summary>A project's access-group overrides are read as the project is: by those who may open it.</summary>
public sealed class access_group_overrides(AccessWorld world) : IClassFixture<AccessWorld>
{
    [Fact]
    public async Task a_user_without_access_to_the_project_may_not_read_its_overrides()
    {
        var group = Unique.Name("override");
        await world.Manager.PutAsync($"/api/accessGroups/{group}/_", new JsonObject(), expect: 204);
        await world.Manager.PutAsync($"/api/accessGroups/{group}/{world.Project}", new JsonObject
        {
            ["read"] = new JsonObject { ["enabled"] = true, ["access_list"] = new JsonArray(new JsonObject { ["access_type"] = "hierarchy", ["path"] = "/shots/secret" }) },
        }, expect: 204);

        var one = await world.Outsider.GetAsync($"/api/accessGroups/{group}/{world.Project}", expect: 403);
        var list = await world.Outsider.GetAsync($"/api/accessGroups/{world.Project}", expect: 403);
        await world.Outsider.GetAsync($"/api/accessGroups/{group}/noSuchProject{Unique.Name("p")}", expect: 404);
        var member = await world.Viewer.GetAsync($"/api/accessGroups/{group}/{world.Project}");
        await world.Outsider.GetAsync($"/api/accessGroups/{group}/_");

        Assert.DoesNotContain("/shots/secret", one.ToJsonString());
        Assert.DoesNotContain("/shots/secret", list.ToJsonString());
        Assert.Equal("/shots/secret", member["read"]!["access_list"]![0]!["path"]!.GetValue<string>());
    }
}
