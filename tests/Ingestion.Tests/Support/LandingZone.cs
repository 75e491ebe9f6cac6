using System.Text;

namespace HealthMedallion.Ingestion.Tests.Support;

/// <summary>A temporary landing zone: files are written as the generator writes them (a .tmp name, then renamed).</summary>
public sealed class LandingZone : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("hm-landing-").FullName;

    public string Write(string entity, string name, string content, bool withBom = false) =>
        Write(entity, name, (withBom ? Encoding.UTF8.GetPreamble() : []).Concat(Encoding.UTF8.GetBytes(content)).ToArray());

    public string Write(string entity, string name, byte[] content)
    {
        var folder = Directory.CreateDirectory(Path.Combine(Root, entity)).FullName;
        var path = Path.Combine(folder, name);
        File.WriteAllBytes(path + ".tmp", content);
        File.Move(path + ".tmp", path, overwrite: true);
        return path;
    }

    /// <summary>Writes <paramref name="rows"/> claims rows of one source system; row i has claim_id <c>{prefix}-{i}</c>.</summary>
    public string WriteClaims(string name, int rows, string prefix = "C")
    {
        var text = new StringBuilder("claim_id,patient_id,claim_amount,claim_date,diagnosis_code,procedure_code,claim_status,source_system\n");
        for (var i = 1; i <= rows; i++)
        {
            text.Append(prefix).Append('-').Append(i).Append(",P").Append(i % 977).Append(",1234.50,2024-03-0").Append(1 + (i % 9))
                .Append(",E11.9,99213,paid,CLAIMS_SYSTEM\n");
        }

        return Write("claims", name, text.ToString());
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
