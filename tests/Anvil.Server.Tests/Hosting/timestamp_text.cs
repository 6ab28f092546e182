using System.Globalization;
using Anvil.Server.Hosting;

namespace Anvil.Server.Tests.Hosting;

/// <summary>Timestamps go on the wire as <see cref="TimestampConverter.Format"/> of their UTC time, however they are written.</summary>
public sealed class timestamp_text
{
    [Fact]
    public void the_wire_text_of_a_timestamp_is_its_format_in_utc()
    {
        var random = new Random(7);
        var times = new List<DateTimeOffset>
        {
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new(1, 1, 1, 0, 0, 0, TimeSpan.Zero), new(999, 12, 31, 23, 59, 59, TimeSpan.Zero),
            new DateTimeOffset(2026, 12, 5, 6, 41, 54, TimeSpan.FromHours(2)).AddTicks(5_740_009), new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.FromMinutes(-330)).AddTicks(1),
        };
        for (var i = 0; i < 10_000; i++)
            times.Add(new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay),
                TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60))));

        foreach (var time in times)
        {
            Assert.Equal(time.ToUniversalTime().ToString(TimestampConverter.Format, CultureInfo.InvariantCulture), TimestampConverter.Text(time));
            Assert.Equal(time.ToUniversalTime().ToString(TimestampConverter.Format, CultureInfo.InvariantCulture), TimestampConverter.Text(time.UtcDateTime));
        }
    }
}
