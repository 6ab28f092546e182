namespace Anvil.Server.GraphQL;

/// <summary>
/// A small query page served by the server itself, so it works offline: a query, its variables,
/// and the response. It sends the browser's <c>accessToken</c> cookie, or a token pasted in the page.
/// </summary>
static class GraphiQLPage
{
    public const string Html = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Anvil GraphQL</title>
        <style>
          body { font-family: sans-serif; margin: 0; display: grid; grid-template-columns: 1fr 1fr; grid-template-rows: auto 1fr auto; height: 100vh; }
          header { grid-column: 1 / 3; padding: .5em 1em; background: #222; color: #eee; display: flex; gap: 1em; align-items: center; }
          textarea, pre { font-family: monospace; font-size: 13px; margin: 0; padding: .75em; border: 0; border-right: 1px solid #ccc; resize: none; overflow: auto; }
          #query { grid-row: 2; } #result { grid-row: 2 / 4; grid-column: 2; background: #f7f7f7; }
          #variables { grid-row: 3; height: 8em; border-top: 1px solid #ccc; }
          input { flex: 1; font-family: monospace; }
        </style></head>
        <body>
        <header><strong>Anvil GraphQL</strong><button id="run">Run (Ctrl-Enter)</button>
          <input id="token" placeholder="session token (optional: the accessToken cookie is sent too)"></header>
        <textarea id="query" spellcheck="false">{
          me { name isAdmin }
        }</textarea>
        <pre id="result"></pre>
        <textarea id="variables" spellcheck="false" placeholder="variables (JSON)"></textarea>
        <script>
          const $ = id => document.getElementById(id);
          $("token").value = localStorage.getItem("anvil.token") || "";
          async function run() {
            localStorage.setItem("anvil.token", $("token").value);
            const headers = { "Content-Type": "application/json" };
            if ($("token").value) headers.Authorization = "Bearer " + $("token").value;
            let variables = {};
            try { variables = $("variables").value.trim() ? JSON.parse($("variables").value) : {}; }
            catch (e) { $("result").textContent = "Variables are not valid JSON: " + e.message; return; }
            const response = await fetch("graphql", { method: "POST", headers, credentials: "include",
              body: JSON.stringify({ query: $("query").value, variables }) });
            $("result").textContent = JSON.stringify(await response.json(), null, 2);
          }
          $("run").onclick = run;
          document.onkeydown = e => { if (e.ctrlKey && e.key === "Enter") run(); };
        </script>
        </body></html>
        """;
}
