namespace Loom.Generation;

/// <summary>
/// One generated token. <see cref="Text"/> is the text released with it: possibly empty while a character
/// is split across tokens or text that may begin a stop string is held back, and possibly longer when held
/// text is released. Concatenating the texts gives the generated text.
/// </summary>
/// <param name="TokenId">The token id.</param>
/// <param name="Text">Text released with this token.</param>
/// <param name="LogProbability">Natural log of the token's probability under the model (softmax of the raw logits,
/// before sampling transforms).</param>
public readonly record struct GeneratedToken(int TokenId, string Text, double LogProbability);
