import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ibanValid,
  inseeValid,
  luhnValid,
  piiDetector,
  ssnValid,
} from '../../src/detectors/index.ts';

const config = piiDetector.configSchema.parse({});
const kinds = (text: string): string[] =>
  piiDetector.detect(text, config, { stage: 'input' }).map((f) => f.kind);
const found = (text: string): string[] =>
  piiDetector
    .detect(text, config, { stage: 'input' })
    .map((f) => text.slice(f.span?.start, f.span?.end));

describe('pii detector', () => {
  it('validates checksums from the specifications', () => {
    assert.equal(luhnValid('4111111111111111'), true);
    assert.equal(luhnValid('4111111111111112'), false);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 32'), true);
    assert.equal(ibanValid('GB82 WEST 1234 5698 7654 33'), false);
    assert.equal(ibanValid('DE89370400440532013000'), true);
    assert.equal(inseeValid('2 84 12 76 451 089 93'), true);
    assert.equal(inseeValid('2 84 12 76 451 089 94'), false);
    assert.equal(ssnValid('123-45-6789'), true);
    assert.equal(ssnValid('666-45-6789'), false);
    assert.equal(ssnValid('123-00-6789'), false);
  });

  it('finds each structured type with its span', () => {
    assert.deepEqual(found('write to jane.doe+x@mail.example.co.uk today'), [
      'jane.doe+x@mail.example.co.uk',
    ]);
    assert.deepEqual(kinds('card 4111-1111-1111-1111 exp 12/29'), ['credit_card']);
    assert.deepEqual(kinds('IBAN GB82 WEST 1234 5698 7654 32 please'), ['iban']);
    assert.deepEqual(kinds('SSN 123-45-6789'), ['us_ssn']);
    assert.deepEqual(kinds('NI number AB 12 34 56 C'), ['uk_nino']);
    assert.deepEqual(kinds('numéro de sécu 2 84 12 76 451 089 93'), ['fr_insee']);
    assert.deepEqual(found('from 192.168.10.254 and 2001:db8::8a2e:370:7334'), [
      '192.168.10.254',
      '2001:db8::8a2e:370:7334',
    ]);
    assert.deepEqual(kinds('born on 14/07/1989 in Lyon'), ['date_of_birth']);
    assert.deepEqual(kinds('meeting on 14/07/1989 in Lyon'), []);
    assert.deepEqual(kinds('ship to 221 Baker Street, London'), ['street_address']);
  });

  it('finds phone numbers in international formats, whole', () => {
    for (const phone of [
      '+44 20 7946 0958',
      '+1 (415) 555-2671',
      '+33 1 42 68 53 00',
      '+33 6 12 34 07 78',
      '+34 6 123 45 678',
      '06 12 34 56 78',
      '+4915112345678',
      '(415) 555-2671 x123',
      '(030) 12345678',
      '+49 (030) 1234567',
      '+91 9111146569',
      '(+57)6066113930',
      '+(370) 61003307',
      '+359(0)75400917',
      '(351) 910024589',
      '02271/85133742',
      '(04701) 74681',
      '00971 4 899 1433',
      '1-758-889-2631',
      '1 (800) 555-0199',
    ]) {
      assert.deepEqual(kinds(`call ${phone} now`), ['phone'], phone);
      // A partial span would leave the country code and first digits readable after redaction.
      assert.deepEqual(found(`call ${phone} now`), [phone], phone);
    }
  });

  it('finds a number written without separators when it is labelled as a phone', () => {
    assert.deepEqual(kinds('Fax: 9498777106'), ['phone']);
    assert.deepEqual(kinds('Desk: 5403926876\nbye'), ['phone']);
    assert.deepEqual(kinds('reach me at 0851757641 (office)'), ['phone']);
    assert.deepEqual(kinds('Order 9498777106 shipped on time'), []);
    assert.deepEqual(kinds('Fax: 1,234,567,890 pages'), []);
    for (const label of [
      'My phone number is',
      'mi número de teléfono es',
      'Tel. Nr.:',
      'you can reach us at',
      'Contact number -',
    ]) {
      assert.deepEqual(kinds(`${label} 3456539717 thanks`), ['phone'], label);
    }
  });

  it('takes a trunk-zero national number for a phone unless a label says it is something else', () => {
    assert.deepEqual(kinds('reply to 0727589290 please'), ['phone']);
    assert.deepEqual(kinds('Order 0851757641 shipped'), []);
    assert.deepEqual(kinds('invoice no. 0727589290'), []);
  });

  it('takes a bare 10–11 digit run for a phone only when a configured region says it is valid', () => {
    assert.deepEqual(kinds('I tried 7405429382 twice yesterday'), ['phone']);
    // Area code 123 does not exist in North America, nor the prefix in India, Italy or Brazil.
    assert.deepEqual(kinds('I tried 1234567890 twice yesterday'), []);
    // A Unix timestamp in seconds, and the same valid number inside a sum or a path.
    assert.deepEqual(kinds('parseMilliseconds(1737000001)'), []);
    assert.deepEqual(kinds('x = 7405429382 * 2'), []);
    assert.deepEqual(kinds('ticket 7405429382 closed'), []);
    const frenchOnly = piiDetector.configSchema.parse({ phoneRegions: ['FR'] });
    const bare = piiDetector.detect('I tried 7405429382 twice yesterday', frenchOnly, {
      stage: 'ingest',
    });
    assert.deepEqual(bare, []);
    assert.throws(() => piiDetector.configSchema.parse({ phoneRegions: ['XX'] }));
    // Eleven digits from 13–19: a Chinese mobile; ten from 1 stays a timestamp.
    assert.deepEqual(kinds('I tried 13945061231 twice yesterday'), ['phone']);
    assert.deepEqual(kinds('I tried 1394506123 twice yesterday'), []);
  });

  it('reads digits of other scripts as digits, keeping the spans of the original text', () => {
    assert.deepEqual(found('call +৮৮০-১৭০১-৭৪৬৮১৪ now'), ['+৮৮০-১৭০১-৭৪৬৮১৪']);
    assert.deepEqual(found('رقمي ٠٥٠ ١٢٣ ٤٥٦٧ شكرا'), ['٠٥٠ ١٢٣ ٤٥٦٧']);
    assert.deepEqual(kinds('card ４１１１ １１１１ １１１１ １１１１'), ['credit_card']);
  });

  it('reads typographic spaces and hyphens inside numbers as separators, not en-dash ranges', () => {
    // French groups digits with (narrow) no-break spaces; word processors write U+2010–U+2012.
    assert.deepEqual(found('Appelez le +33\u00a06\u00a012\u00a034\u00a056\u00a078 demain'), [
      '+33\u00a06\u00a012\u00a034\u00a056\u00a078',
    ]);
    assert.deepEqual(kinds('ou le 06\u202f12\u202f34\u202f56\u202f78'), ['phone']);
    assert.deepEqual(kinds('SSN 123\u201045\u20106789 on file'), ['us_ssn']);
    assert.deepEqual(kinds('call 001\u2012579\u2012526\u20122243 from abroad'), ['phone']);
    assert.deepEqual(kinds('card 4111\u00a01111\u00a01111\u00a01111'), ['credit_card']);
    // Invisible characters inside a value hide nothing: the span covers them.
    assert.deepEqual(found('mail jane\u00ad@acme\u200b.io today'), ['jane\u00ad@acme\u200b.io']);
    // Between numbers an en dash is a range: "1882–1886" is not a phone number.
    assert.deepEqual(kinds('He lived in Paris 1882\u20131886 and in Rome 1886\u20131887.'), []);
  });

  it('takes a spaced 3 + 4 digit local number for a phone, not a range, a suite or a short group', () => {
    assert.deepEqual(found('any message on my registered 668 5702. Could you call?'), ['668 5702']);
    assert.deepEqual(kinds('essays of 200-1000 words'), []);
    assert.equal(kinds('Suite 541 6343 Skogstien').includes('phone'), false);
    assert.deepEqual(kinds('area code 123 4567 is not one'), []);
  });

  it('finds Hungarian slash groups and the Russian trunk 8, but not a date', () => {
    assert.deepEqual(found('call 06-20/171 8513 now'), ['06-20/171 8513']);
    assert.deepEqual(found('call (21)/178-5025 now'), ['(21)/178-5025']);
    assert.deepEqual(found('call 8 (495) 123-45-67 now'), ['8 (495) 123-45-67']);
    assert.deepEqual(kinds('due on 12/25/2023 at noon'), []);
    assert.deepEqual(found('Office,3660170548-Fax'), ['3660170548']);
    assert.deepEqual(kinds('values 1,2345678 and 3'), []);
  });

  it('leaves sums, year ranges, decimals, paths, other identifiers and house numbers alone', () => {
    assert.deepEqual(kinds('he is out of pocket 27,000-16,000=11,000'), []);
    assert.deepEqual(kinds('Copyright (c) 2014-2021 the authors'), []);
    assert.deepEqual(kinds('parsing took 150.626292 ms'), []);
    assert.deepEqual(kinds('see https://arxiv.org/abs/1810.04805 for details'), []);
    assert.deepEqual(kinds("my driver's license number is 2270-66-1551"), []);
    assert.deepEqual(kinds('ZIP: 75534-030'), []);
    assert.equal(kinds('Apt. 675 62314 Mellemvej 32').includes('phone'), false);
    assert.equal(kinds('log 0.13253968253968254').includes('credit_card'), false);
    assert.deepEqual(kinds('call 001-579-526-2243 from abroad'), ['phone']);
    // Luhn-valid, but grouped as a phone number, not as a card is printed.
    assert.deepEqual(kinds('call 01458 6726706 today'), ['phone']);
    assert.deepEqual(kinds('card 4111 1111 1111 1111'), ['credit_card']);
  });

  it('does not call dates, versions, IPs or Luhn-failing numbers PII of the wrong kind', () => {
    assert.deepEqual(kinds('released 2024-03-01 as version 1.2.3'), []);
    assert.equal(kinds('order 4111 1111 1111 1112').includes('credit_card'), false);
    assert.deepEqual(kinds('server 10.0.0.1'), ['ip_address']);
    assert.deepEqual(kinds('how do I kill a Python process?'), []);
  });

  it('finds person names by dictionary only when asked to', () => {
    const letter = 'Hi Maria, the invoice is attached. Best regards, John Smith';
    assert.deepEqual(kinds(letter), []);
    const names = piiDetector.configSchema.parse({ kinds: ['person_name'] });
    const people = (text: string): string[] =>
      piiDetector
        .detect(text, names, { stage: 'input' })
        .map((f) => text.slice(f.span?.start, f.span?.end));
    assert.deepEqual(people(letter), ['Maria', 'John Smith']);
    assert.deepEqual(people('Please ask Mr. Finnegan about it.'), ['Mr. Finnegan']);
    assert.deepEqual(people('the report was written by Nicole Mahler last week'), [
      'Nicole Mahler',
    ]);
    assert.deepEqual(people("Mary Poppins's umbrella"), ['Mary Poppins']);
    assert.deepEqual(people('John F. Kennedy spoke first'), ['John F. Kennedy']);
    // Names that are ordinary words, places named after people, sentence openings.
    assert.deepEqual(people('Grant Park is closed today.'), []);
    assert.deepEqual(people('Will Power and Hope Street'), []);
    assert.deepEqual(people('We flew to San Francisco on Monday.'), []);
    assert.deepEqual(people('a note from Gabriella From the front desk'), ['Gabriella']);
  });

  it('honours its kinds configuration', () => {
    const emailOnly = piiDetector.configSchema.parse({ kinds: ['email'] });
    assert.deepEqual(
      piiDetector
        .detect('a@b.io 4111111111111111', emailOnly, { stage: 'input' })
        .map((f) => f.kind),
      ['email'],
    );
    assert.throws(() => piiDetector.configSchema.parse({ kinds: ['shoe_size'] }));
  });
});
