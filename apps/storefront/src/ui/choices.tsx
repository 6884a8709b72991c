import type { ComponentChildren } from 'preact';

/** One option of a `Choices` group: its value and what the shopper reads. */
export interface Choice {
  value: string;
  label: ComponentChildren;
}

/** A labelled group of radio buttons (a fieldset with a legend, one `label.choice` per option). */
export function Choices(props: {
  legend: string;
  name: string;
  choices: readonly Choice[];
  selected: string;
  onSelect: (value: string) => void;
}) {
  return (
    <fieldset>
      <legend>{props.legend}</legend>
      {props.choices.map((choice) => (
        <label class="choice" key={choice.value}>
          <input
            type="radio"
            name={props.name}
            value={choice.value}
            checked={props.selected === choice.value}
            onChange={() => props.onSelect(choice.value)}
          />
          <span>{choice.label}</span>
        </label>
      ))}
    </fieldset>
  );
}
