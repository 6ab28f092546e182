namespace Anvil.Server.Tests.Infrastructure;

/// <summary>Projects for entity tests, deployed through the API from the built-in anatomy.</summary>
public static class TestProjects
{
    public static async Task<string> CreateAsync(AnvilApp app)
    {
        var name = Unique.Name("proj");
        var api = app.Service();
        await api.PostAsync("/api/projects", new { name, code = name }, expect: 201);
        await api.PatchAsync($"/api/projects/{name}", new { attrib = new { frameEnd = 1100 } }, expect: 204);
        return name;
    }
}
