import { Form, FormGroup, Radio, Title } from '@patternfly/react-core';
import { useEffect, useState } from 'react';
import { onThemeChange, setThemePreference, type ThemePreference, themePreference } from '../../theme';

const CHOICES: { value: ThemePreference; label: string; description: string }[] = [
  { value: 'light', label: 'Light theme', description: 'Always light.' },
  { value: 'dark', label: 'Dark theme', description: 'Always dark.' },
  { value: 'device', label: 'Device-based theme', description: "Follows this device's light or dark preference." },
];

/** The user's Appearance setting: light, dark or device-based. */
export function AppearanceSettings() {
  const [current, setCurrent] = useState(themePreference());
  useEffect(() => onThemeChange(() => setCurrent(themePreference())), []);
  return (
    <Form onSubmit={(e) => e.preventDefault()}>
      <Title headingLevel="h2" size="lg">
        Appearance
      </Title>
      <FormGroup role="radiogroup" fieldId="appearance" isStack>
        {CHOICES.map((choice) => (
          <Radio
            key={choice.value}
            id={`theme-${choice.value}`}
            name="appearance"
            label={choice.label}
            description={choice.description}
            isChecked={current === choice.value}
            onChange={() => setThemePreference(choice.value)}
          />
        ))}
      </FormGroup>
    </Form>
  );
}
