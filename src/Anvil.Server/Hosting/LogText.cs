using System.Text;

namespace Anvil.Server.Hosting;

/// <summary>User-supplied text made safe for a log line: control characters escaped, length capped.</summary>
public static class LogText
{
    public static string Sanitize(string? text, int maxLength = 256)
    {
        if (text is null)
            return "";
        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 8);
        foreach (var c in text)
        {
            if (builder.Length >= maxLength)
            {
                builder.Append('…');
                break;
            }
            if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            else
                builder.Append(c);
        }
        return builder.ToString();
    }
}
