using System.Text.Json;
using Loom.Formats;

namespace Loom.Tokenization;

/// <summary>
/// Writes a Hugging Face tokenizer.json the way the trainers need it: the header and the special tokens as added tokens,
/// then the stages the caller writes; atomically, so an interrupted training never leaves half a file.
/// </summary>
internal static class TokenizerJsonWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <param name="special">the special tokens with their ids</param>
    /// <param name="stages">writes the remaining properties: normalizer, pre_tokenizer, post_processor, decoder, model</param>
    public static void Write(string path, IEnumerable<(int Id, string Content)> special, Action<Utf8JsonWriter> stages) =>
        AtomicFile.Write(path, stream =>
        {
            using var json = new Utf8JsonWriter(stream, Options);
            json.WriteStartObject();
            json.WriteString("version", "1.0");
            json.WriteNull("truncation");
            json.WriteNull("padding");
            json.WriteStartArray("added_tokens");
            foreach (var (id, content) in special)
            {
                json.WriteStartObject();
                json.WriteNumber("id", id);
                json.WriteString("content", content);
                json.WriteBoolean("single_word", false);
                json.WriteBoolean("lstrip", false);
                json.WriteBoolean("rstrip", false);
                json.WriteBoolean("normalized", false);
                json.WriteBoolean("special", true);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            stages(json);
            json.WriteEndObject();
        });
}
